"""Staff: members of a care account, their roles, and invitations."""
