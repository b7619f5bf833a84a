"""Services: the API's rules (docs/API.md, docs/DESIGN.md), each in exactly one place."""
