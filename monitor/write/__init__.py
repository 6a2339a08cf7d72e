"""The write path: the result writer, the spool, the journal file."""
