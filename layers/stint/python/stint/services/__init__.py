"""Services: the rules of the contract, each in exactly one place."""
