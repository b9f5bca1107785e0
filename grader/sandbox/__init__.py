"""Running untrusted code: the sandboxed child and its wire protocol, the launchers (cold bubblewrap, the warm
template, plain processes), their limits and guards, and a scripted fake for fast tests. Kept light: the child
imports this package."""
