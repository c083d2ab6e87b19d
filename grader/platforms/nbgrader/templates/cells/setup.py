# Set-up: run this first. Then running an answer cell defines its microgpt module in memory
# (nothing is written to this folder), and the test cells check it.
from nbchecks import setup

setup()
