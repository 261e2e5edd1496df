"""Money with the booking, through each salon's own Stripe account (docs/payments.md):
`holds` (a booking held while the client pays, and what ends the hold), `pay` (the pay
page), `webhooks` (Stripe's events, each once), `fees` (no-show and late-cancellation
fees, refunds), `notices` (what the client is told), `stripe_account` (the SDK)."""
