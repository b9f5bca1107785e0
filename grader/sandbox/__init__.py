"""Running untrusted code: the sandbox's policy (`policy`: identity, namespaces, mounts, limits, seccomp rules, what a
warm template imports, exit statuses), the sandboxed child and its wire protocol, the launchers (cold bubblewrap,
the warm template and its warm children, plain processes), their guards, and a scripted fake for fast tests. Kept
light: the child imports this package."""
