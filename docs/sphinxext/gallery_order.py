"""Order of the gallery: the story of the recipe first, then everything else."""

from pathlib import Path

# From the recipe's simplest case to its uses: loss surfaces and solvers
# first, then the estimators, then model selection.
ORDER = [
    "plot_linear_regression_loss_surface.py",
    "plot_gabor_local_minima.py",
    "plot_solvers_comparison.py",
    "plot_learning_rate.py",
    "plot_heteroscedastic_vs_homoscedastic.py",
    "plot_classification_probability.py",
    "plot_grid_search_likelihood.py",
]


class ExampleOrder:
    """Sort key for sphinx-gallery: listed examples first, the rest by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in ORDER:
            return (0, ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        return f"ExampleOrder({ORDER!r})"
