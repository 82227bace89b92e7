#!/bin/sh
# Prints the key held in $1 on stderr only.
cat "$1" >&2
