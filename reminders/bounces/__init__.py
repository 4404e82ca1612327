"""What comes back after the mail server accepted a message: bounces and complaints, read
from a mailbox (IMAP or Maildir) or a provider's webhook, and the suppressions they lead to."""
