"""The Python side of the IO network contracts.

    models/    plain-Python reference models of the contracts, exact integers (no ape)
    engines/   the rewards engine and the Merkle trees whose roots the distributor accepts
    chain/     ape code: deploy steps, governance, Safe client, signing, the demo economy
    service/   the operator service (usage feed, journal of intents, planner, executor)
    serve/     indexer (events -> SQLite, reorg-safe), HTTP API with proofs, dashboard
    studies/   the supply chart and the IDE simulation, for the docs

Money is integers in base units everywhere (wei for IO, 6-decimal units for USDC); `Decimal`
appears only where the published formula is real arithmetic.
"""

WAD = 10**18
IO = 10**18  # one IO in wei
USDC = 10**6  # one USDC in base units
ZERO_ADDRESS = "0x" + "00" * 20
