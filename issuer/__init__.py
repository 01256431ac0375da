"""issuer service (see its issue); an empty shell until then."""
