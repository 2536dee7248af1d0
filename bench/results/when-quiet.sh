#!/bin/sh
# Runs "$@" once the machine has been idle (at least 90% of the CPU time idle) for two seconds running, or after
# two minutes of waiting, whichever comes first; then prints the 1-minute load average on stderr (the harness
# records it). Meant to run inside the exclusive timing lock, so that a timed run does not start while untimed
# work that was already running winds down.
sample() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat; }
quiet=0
i=0
while [ "$i" -lt 120 ] && [ "$quiet" -lt 2 ]; do
  a=$(sample); sleep 1; b=$(sample)
  total=$(( ${b% *} - ${a% *} )); idle=$(( ${b#* } - ${a#* } ))
  if [ $(( idle * 100 )) -ge $(( total * 90 )) ]; then quiet=$((quiet + 1)); else quiet=0; fi
  i=$((i + 1))
done
cut -d' ' -f1 /proc/loadavg >&2
exec "$@"
