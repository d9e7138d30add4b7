# The man page describes smartcrop, not the machine that built it: --help's line on
# what `--backend auto` runs here names that machine's model path.
/^Here .*auto runs /d
# help2man runs --help's example commands together into one paragraph: one line each.
/^smartcrop [^:]/a\
.br
