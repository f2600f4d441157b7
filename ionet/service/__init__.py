"""The operator service's foundations (issue 19): the usage feed it reads (`feed`), the fleet
simulator that writes it on the local network (`fleet`), the journal of intents that makes every
action happen once (`journal`) and the decisions as pure functions (`plan`).

Nothing here talks to a chain: the chain-driving loop (snapshots in, intents out, transactions
sent through the journal) is built on these.
"""

HOUR_SECONDS = 3_600
