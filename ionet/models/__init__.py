"""The plain-Python reference models of the contracts, in exact integers: what each contract must do,
operation by operation. The tests hold the contracts to them (differential tests, state machines).

    emission     the capped supply and the hourly emission formula (IOToken, EmissionSchedule)
    vesting      genesis allocations and their schedules (VestingVault)
    staking      device stakes, co-stakes, slashing (NodeStaking)
    settlement   bookings, escrow and both sides' fees (SettlementRouter)
    market       Uniswap V3's price maths (IOPriceOracle, MarketDesk)
    distributor  reward and slash leaves' claims (RewardsDistributor)
    ide          the Incentive Dynamic Engine (IncentiveEngine, FeeVaultDesk)
"""
