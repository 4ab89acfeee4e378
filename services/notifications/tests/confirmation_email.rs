//! The booking confirmation as a mail client sees it, and the embedded deployment (in-process
//! bus, SQLite, in-memory claims, file outbox).

mod support;

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_events::payloads::EventPayload;
use boxoffice_events::{EventBus, InProcessBus};
use boxoffice_http::CancellationToken;
use boxoffice_notifications::email::{EmailSender, FileOutbox, SmtpSender};
use boxoffice_notifications::idempotency::MemoryIdempotency;
use boxoffice_notifications::sms::SimulatedSms;
use boxoffice_notifications::smtp_sink::SmtpSink;
use boxoffice_notifications::{Ports, start, store};
use boxoffice_store::{Database, PoolSettings};
use mail_parser::MimeHeaders;
use support::{booking, eventually, test_settings, user_registered};

async fn embedded_ports(email: Arc<dyn EmailSender>, sms: SimulatedSms) -> (Ports, InProcessBus) {
    let bus = InProcessBus::new();
    let url = boxoffice_store::testing::fresh_sqlite_url();
    let database = Database::connect(&url, &store::MIGRATIONS, PoolSettings::default())
        .await
        .expect("sqlite");
    let ports = Ports {
        bus: Arc::new(bus.clone()),
        database,
        idempotency: Some(Arc::new(MemoryIdempotency::new())),
        email,
        sms: Arc::new(sms),
        verifier: support::TestKeys::new().verifier(),
    };
    (ports, bus)
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(Cursor::new(png_bytes))
        .read_info()
        .expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png frame");
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code per image");
    grids[0].decode().expect("QR decodes").1
}

#[tokio::test]
async fn the_confirmation_email_parses_as_mime_with_decodable_qr_codes_and_a_calendar_event() {
    let sink = SmtpSink::start().await.expect("sink");
    let sms = SimulatedSms::new();
    let email = Arc::new(SmtpSender::new(&sink.smtp_settings()).expect("smtp"));
    let (ports, bus) = embedded_ports(email, sms.clone()).await;
    let shutdown = CancellationToken::new();
    let running = start(test_settings(None), ports, shutdown.clone())
        .await
        .expect("start");

    let booking = booking(7, Some("+33612345678"));
    let event = booking.to_envelope().expect("envelope");
    bus.publish(&event).await.expect("publish");
    assert_eq!(sink.count(), 1, "in-process publish returns once handled");

    let raw = &sink.messages()[0];
    assert_eq!(raw.to, vec!["customer7@example.com".to_owned()]);
    let message = mail_parser::MessageParser::default()
        .parse(&raw.data)
        .expect("MIME");
    assert_eq!(
        message.message_id(),
        Some(format!("{}.email@boxoffice", event.id).as_str())
    );
    assert!(
        message
            .subject()
            .expect("subject")
            .contains("The Long Night")
    );
    let text = message.body_text(0).expect("text part");
    assert!(
        text.contains("Zoë Ångström") && text.contains("Tue 1 Dec 2026, 19:30 (CET)"),
        "{text}"
    );
    assert!(
        message
            .body_html(0)
            .expect("html part")
            .contains("cid:ticket-1-")
    );

    let mut codes = Vec::new();
    let mut calendars = Vec::new();
    for part in message.parts.iter() {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        match (content_type.ctype(), content_type.subtype()) {
            ("image", Some("png")) => codes.push(decode_qr(part.contents())),
            ("text", Some("calendar")) => {
                calendars.push(String::from_utf8_lossy(part.contents()).into_owned())
            }
            _ => {}
        }
    }
    codes.sort();
    let mut expected: Vec<String> = booking.tickets.iter().map(|t| t.code.clone()).collect();
    expected.sort();
    assert_eq!(
        codes, expected,
        "one QR code per ticket, decoding to its code"
    );

    assert_eq!(calendars.len(), 1);
    let unfolded = icalendar::parser::unfold(&calendars[0]);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect(".ics parses");
    let vevent = calendar
        .components
        .iter()
        .find(|c| c.name == "VEVENT")
        .expect("VEVENT");
    let start = vevent.find_prop("DTSTART").expect("DTSTART");
    assert_eq!(
        start.val.as_str(),
        "20261201T193000",
        "19:30 in Paris is 18:30 UTC in December"
    );
    let tzid = start
        .params
        .iter()
        .find(|p| p.key == "TZID")
        .and_then(|p| p.val.as_ref())
        .expect("TZID");
    assert_eq!(tzid.as_str(), "Europe/Paris");
    let location = vevent.find_prop("LOCATION").expect("LOCATION");
    assert!(
        location.val.as_str().contains("rue de l'Odéon"),
        "{}",
        location.val.as_str()
    );
    let vtimezone = calendar
        .components
        .iter()
        .find(|c| c.name == "VTIMEZONE")
        .expect("VTIMEZONE");
    assert_eq!(
        vtimezone.find_prop("TZID").expect("TZID").val.as_str(),
        "Europe/Paris"
    );

    let texts = sms.sent();
    assert_eq!(
        texts.len(),
        1,
        "an SMS because the recipient has a phone number"
    );
    assert_eq!(texts[0].to, "+33612345678");
    shutdown.cancel();
    running.wait().await;
}

#[tokio::test]
async fn the_embedded_deployment_writes_one_eml_per_email_and_skips_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = FileOutbox::new(dir.path().join("outbox")).expect("outbox");
    let sms = SimulatedSms::new();
    let (ports, bus) = embedded_ports(Arc::new(outbox.clone()), sms.clone()).await;
    let log = store::NotificationLog::new(ports.database.clone());
    let shutdown = CancellationToken::new();
    let running = start(test_settings(None), ports, shutdown.clone())
        .await
        .expect("start");

    let events: Vec<_> = (0..10).map(user_registered).collect();
    bus.publish_batch(&events).await.expect("publish");
    bus.publish_batch(&events[..5])
        .await
        .expect("publish duplicates");
    bus.publish(&booking(1, None).to_envelope().expect("envelope"))
        .await
        .expect("publish");
    let files: Vec<_> = std::fs::read_dir(outbox.dir())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 11);
    assert_eq!(log.entries().await.expect("log").len(), 11);
    assert!(sms.sent().is_empty(), "no SMS without a phone number");
    let welcome = std::fs::read(outbox.path_for(&format!("<{}.email@boxoffice>", events[3].id)))
        .expect("eml");
    let parsed = mail_parser::MessageParser::default()
        .parse(&welcome)
        .expect("MIME");
    assert_eq!(parsed.subject(), Some("Welcome to boxoffice"));
    eventually(Duration::from_secs(5), "idle", || async {
        running.in_flight() == 0
    })
    .await;
    shutdown.cancel();
    running.wait().await;
}
