"""wallet_demo service (see its issue); an empty shell until then."""
