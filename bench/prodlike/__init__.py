"""The production-like run (`make prodlike`, tests/prodlike): two gunicorn instances and a worker
against PostgreSQL, Redis and an SMTP sink on loopback, the reliability checks, and the load test.
"""
