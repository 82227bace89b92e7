#!/bin/sh
# Run n prints the key in the n-th file argument after $1 (the counter), the last one from then on.
counter=$1
shift
n=$(cat "$counter" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n > "$counter"
i=1
for f in "$@"; do
  last=$f
  if [ $i -eq $n ]; then break; fi
  i=$((i + 1))
done
cat "$last"
