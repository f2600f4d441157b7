"""Off-chain toolkit of the IO network contracts.

Plain-Python reference models of the on-chain economy (supply and emission, vesting, staking,
settlement with the fees of both sides, the market's Uniswap V3 price maths), the Merkle rewards
engine, the deployment manifest and the deploy configuration.
Money is integers in base units everywhere (wei for IO, 6-decimal units for USDC); `Decimal`
appears only where the published formula is real arithmetic.
"""

WAD = 10**18
IO = 10**18  # one IO in wei
USDC = 10**6  # one USDC in base units
ZERO_ADDRESS = "0x" + "00" * 20
