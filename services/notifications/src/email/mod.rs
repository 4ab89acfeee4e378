//! The email port: an addressed message goes out through SMTP or into a file outbox.

mod file;
mod smtp;

use async_trait::async_trait;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

pub use file::FileOutbox;
pub use smtp::{SmtpSender, SmtpSettings, TlsMode};

use crate::templates::RenderedEmail;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Worth another try later: the server is down, busy, or answered 4xx.
    #[error("email not sent (will retry): {0}")]
    Transient(String),
    /// Will never be accepted as it is: a bad address, or a 5xx answer.
    #[error("email rejected: {0}")]
    Rejected(String),
}

/// A complete message, ready to go.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// The `Message-ID` header: derived from the event, so that a resend is recognisably the
    /// same message to the receiving side.
    pub message_id: String,
    pub to: String,
    pub message: Message,
}

/// Where emails go. `send` returns `Ok` only once the message is accepted (SMTP `250` after
/// the data, or the file durably written).
#[async_trait]
pub trait EmailSender: Send + Sync + 'static {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), EmailError>;

    /// `"smtp"` or `"file"`.
    fn kind(&self) -> &'static str;
}

/// Addresses a rendered email.
pub fn compose(
    from: &str,
    to_name: &str,
    to_email: &str,
    message_id: String,
    rendered: &RenderedEmail,
) -> Result<OutgoingEmail, EmailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| EmailError::Rejected(format!("sender address {from:?}: {e}")))?;
    let to = Mailbox::new(
        Some(to_name.to_owned()),
        to_email
            .parse()
            .map_err(|e| EmailError::Rejected(format!("recipient address {to_email:?}: {e}")))?,
    );
    let alternative =
        MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
    let body = if rendered.inline_images.is_empty() && rendered.attachments.is_empty() {
        alternative
    } else {
        let png = ContentType::parse("image/png")
            .map_err(|e| EmailError::Rejected(format!("content type: {e}")))?;
        let mut related = MultiPart::related().multipart(alternative);
        for image in &rendered.inline_images {
            related = related.singlepart(
                Attachment::new_inline(image.content_id.clone())
                    .body(image.png.clone(), png.clone()),
            );
        }
        let mut mixed = MultiPart::mixed().multipart(related);
        for attachment in &rendered.attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|e| EmailError::Rejected(format!("content type: {e}")))?;
            mixed = mixed.singlepart(attachment_part(attachment, content_type));
        }
        mixed
    };
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id.clone()))
        .date_now()
        .multipart(body)
        .map_err(|e| EmailError::Rejected(format!("cannot build the message: {e}")))?;
    Ok(OutgoingEmail {
        message_id,
        to: to_email.to_owned(),
        message,
    })
}

fn attachment_part(
    attachment: &crate::templates::Attachment,
    content_type: ContentType,
) -> SinglePart {
    Attachment::new(attachment.filename.clone()).body(attachment.body.clone(), content_type)
}
