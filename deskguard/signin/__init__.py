"""The whole form sign-in (A3, C1-C8): the password step, the pending marker, the
second step and the completion, with their messages. Factor management (enrol,
replace, disable) stays in deskguard.twofactor; this package only calls its
verification service."""
