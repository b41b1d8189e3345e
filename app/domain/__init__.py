"""Tend's areas, one folder each: controllers, services, schemas, deps."""
