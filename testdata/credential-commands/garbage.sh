#!/bin/sh
# Prints text that is not a key.
echo "hello, this is not a key"
