"""The operations and rules that the ``/api/v1`` routes, the dashboard and portal pages and the CLI share.

One module per concern: ``endpoints`` (URL, header and secret rules; create, change, rotate),
``messages`` (accepting a message; test events), ``replay`` (resend, recover, replay-missing),
``portal`` (app-portal tokens and their scope), ``applications``, ``lookups`` (a record or a 404),
``sensitive_headers``, ``models`` (the request bodies operations take), ``runtime`` (what a running
server holds) and ``errors`` (``OperationError``: a stable code, a sentence and its HTTP status).
"""
