"""Stint's shared package: domain models, services (the rules) and the DynamoDB store.

Data flows one way: handler (functions/<group>/app.py) -> service -> store.
"""
