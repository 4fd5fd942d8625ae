"""Quickstart: fit two glass-box models, print them, explain a prediction.

Run: python examples/quickstart.py   (a few seconds)
"""

from __future__ import annotations

from sklearn.model_selection import train_test_split

from glassbox import GLMClassifier, TreeClassifier, datasets
from glassbox.compare import compare

X, y = datasets.breast_cancer()
X = X[["mean radius", "mean texture", "mean smoothness", "worst concavity", "worst symmetry"]]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

# A logistic regression prints as its log-odds equation and odds ratios.
glm = GLMClassifier().fit(X_train, y_train)
print(glm)
print(f"\nheld-out accuracy: {glm.score(X_test, y_test):.3f}\n")

# A depth-3 tree prints as indented rules with the real feature names.
tree = TreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)
print(tree)
print(f"\nheld-out accuracy: {tree.score(X_test, y_test):.3f}\n")

# Why did the GLM score the first test row as it did? Contributions add up.
local = glm.explain_local(X_test.iloc[:1])
print(local.to_frame().sort_values("value", key=abs, ascending=False).to_string(index=False))
print(f"base {local.base_values[0]:.4f} + contributions = log-odds {local.output()[0]:.4f}")

# Score against complexity, side by side.
print()
print(compare([GLMClassifier(), TreeClassifier(max_depth=3)], X, y).to_string(index=False))
