"""Test doubles for the remote: a loopback CX Sales server and sample documents."""
