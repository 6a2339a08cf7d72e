"""The configuration: parsed once, validated, frozen; secrets kept hidden."""
