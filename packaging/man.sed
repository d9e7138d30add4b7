# The man page describes smartcrop, not the machine that built it: --help's line on
# what `--backend auto` runs here names that machine's model path.
/^Here .*auto runs /d
# help2man runs --help's example commands together into one filled paragraph: keep them
# as typed, one per line (no fill from the .IP before them to the next section).
/^\.IP$/{
  N
  s/^\.IP\n\(smartcrop [^:]\)/.IP\n.nf\n\1/
}
/^\.SS "Positionals:"/i\
.fi
