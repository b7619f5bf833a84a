"""Services: the API's rules (docs/API.md, docs/DESIGN.md), each in exactly one place."""

from stint.services import budgets
from stint.store import on_commit

# Every write's commit keeps the projects' usage and budgets (docs/DESIGN.md, "Budgets").
on_commit(budgets.account)
