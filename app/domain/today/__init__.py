"""Today: what is due for a patient now, and for each of a carer's patients."""
