"""Server-rendered pages: registration, sign-in, password reset and the signed-in user's account."""
