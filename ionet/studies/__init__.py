"""Studies made from the models, for the docs: the supply chart (`make chart`) and the Incentive
Dynamic Engine's year under stress (`make ide-sim`)."""
