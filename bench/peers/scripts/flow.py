"""pexpect's side of bench/peers: send each command, expect OK.

Usage: python3 flow.py /dev/pts/7 commands.txt
"""
import os
import sys

from pexpect import fdpexpect

tty, cmdfile = sys.argv[1], sys.argv[2]
with open(cmdfile, "rb") as f:
    cmds = f.read().split()
p = fdpexpect.fdspawn(os.open(tty, os.O_RDWR | os.O_NOCTTY), timeout=5)
for c in cmds:
    p.send(c + b"\r")
    p.expect_exact(b"OK\r\n")
p.close()
