#!/bin/sh
# Writes its pid to $1, then sleeps far past any test's timeout.
echo $$ > "$1"
sleep 300
echo "ak-00000000000000000000000000000000late0late0late0late"
