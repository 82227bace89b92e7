#!/bin/sh
# A failing secret manager that echoes a key-shaped string in its error.
echo "vault: permission denied reading ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3cLEAKEDs3cr3tLEAKED0000" >&2
exit 3
