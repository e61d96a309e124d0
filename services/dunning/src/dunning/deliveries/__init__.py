"""Documents sent to the customer when issued (issue 20): each invoice on InvoiceIssued, each statement (对账单)
on StatementIssued, to be confirmed or disputed on its page.

- **Channel** (rules.py): one per document. The email — the invoice's PDF attached, its hosted page linked,
  in the contact's language (zh-CN / en), from the creditor's legal name like every dunning email — goes to
  the billing contact as reminders choose it; an SMS with the hosted link instead where the customer prefers
  SMS (its first billing contact says so and has a phone), and to a customer with a phone and no email.
  SMS wait out the customer's quiet hours. Nobody to write to: the delivery is recorded `skipped`.
- **The PDF** is fetched when the email is sent, from the document's hosted page (`<hosted_invoice_url>/pdf`:
  the PDF the customer downloads there, with the link as its QR code; a statement's `<hosted_statement_url>/pdf`,
  drawn from what the statement froze), not carried on the bus. Dunning needs
  no key for it: the link is the key, and it is already projected (invoice_links.py). A failed fetch is a
  failed attempt, retried with the email sender's backoff; invoicing's 429 holds the queue until Retry-After.
- **Replays send nothing twice.** One delivery per document (unique per document and channel; a second
  channel is never added for a document that has one), and no delivery at all for an InvoiceIssued or a
  StatementIssued whose `issued_at` is more than ARFLOW_DELIVERY_MAX_AGE_DAYS (7) old by the clock — a
  consumer rebuilding from the outbox, or catching up after a long stop. An invoice dunning knows is paid,
  voided or written off when its turn comes is `cancelled`, not sent.
- **Cheap on the consume path** (issue 17): InvoiceIssued costs the customer's read and one INSERT ... SELECT;
  the commit wakes only that channel's sender, which sends in its own loop (actions/delivery.py), taking turns
  with the action log's messages.
- **The creditor rule** applies: while the creditor is not set, deliveries stay queued, `last_error` saying why.
- **Status** is kept and served by `GET /invoice-deliveries` and `GET /statement-deliveries` (queued, sent,
  failed, cancelled, skipped; attempts, last_error, sent_at); `POST /…-deliveries/{id}/resend` queues one again
  to the contact on file now (audited, whatever the document's state: someone asked for it).
- A statement's link is kept in the delivery's details (from StatementIssued); StatementHostedLinkChanged
  (rotated, renewed, revoked) points it at the link in force.
- **A renewed link** (InvoiceHostedLinkChanged / StatementHostedLinkChanged, reason "renewed": the customer asked
  on the dead page with an address on file) is one email to that address with the new link and no PDF, a
  delivery of purpose `link_renewal` whose id is the request's (a replay inserts nothing).
- **A customer arriving** (CustomerUpserted) makes its deliveries that waited to be addressed due at once.
"""
