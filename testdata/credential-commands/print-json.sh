#!/bin/sh
# Prints the key held in $1 as JSON with expires_at $2 ("null" for none); counts the run in $3.
n=$(cat "$3" 2>/dev/null || echo 0)
echo $((n + 1)) > "$3"
key=$(cat "$1")
if [ "$2" = null ]; then exp=null; else exp="\"$2\""; fi
printf '{"api_key": "%s", "expires_at": %s}\n' "$key" "$exp"
