"""{{name}}: an HTTP API on the Python standard library. Run it with
`python3 -m app`; the code is in app/server.py."""
