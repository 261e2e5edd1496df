"""The public booking use cases, one module each: the business's public profile, free
times, booking, and what the client's manage link does; `views` is how a booking looks
to the client. Framework-free: handlers pass plain values in and get plain values back,
so the same code serves Chalice, the pages, the front desk and the tests."""
