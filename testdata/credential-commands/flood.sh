#!/bin/sh
# Prints without end: far more than any key.
yes "not a key, just a lot of output"
