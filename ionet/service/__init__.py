"""The operator service's foundations (issue 19): the usage feed it reads (`feed`), the fleet
simulator that writes it on the local network (`fleet`), the journal of intents that makes every
action happen once (`journal`) and the decisions as pure functions (`plan`).

The chain-driving half: `chain` (a `Snapshot` read from the deployed contracts, a `ChainView` over
web3), `executor` (intents -> signed transactions, one key per role, recorded before broadcast, fee
bumps) and `run` (the operator's cycle on chain time, the local network it drives; `ape run operate`).
"""

HOUR_SECONDS = 3_600
