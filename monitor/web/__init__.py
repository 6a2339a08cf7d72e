"""The HTML pages: the public status page, the operators' dashboard, the login form and the
monthly report, on one template set and one style.

`render`: the one Jinja2 environment (autoescaping, strict about undefined names), its filters
and the Content-Security-Policy the pages are served under; `pages`: a function per page.
"""
