"""The off-chain engines whose output the contracts accept: the rewards engine (each epoch's
emission or USD statement split over eligible devices, cumulative per leaf) and the Merkle trees
whose roots RewardsDistributor publishes and whose proofs it checks."""
