from ionet import emission as model


def test_cumulative_through__sample_epochs__match_python_model(emission):
    for t in (0, 1, 2, 3, 24, 8_760, 100_000, model.EPOCH_COUNT - 1, model.EPOCH_COUNT, model.EPOCH_COUNT + 5):
        assert emission.cumulative_through(t) == model.cumulative_through(t)
