//! Records to protobuf messages.

use boxoffice_proto::cinema::v1 as pb;
use chrono::{DateTime, Utc};

use crate::domain::{HoldState, LayoutAisles, Money, SeatStatus, SeatType};
use crate::store::{Cinema, HoldRecord, Movie, SeatChange, SeatView, Showtime};

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn money(m: &Money) -> pb::Money {
    pb::Money {
        amount: m.amount,
        currency: m.currency.clone(),
    }
}

pub fn seat_type(t: SeatType) -> pb::SeatType {
    match t {
        SeatType::Standard => pb::SeatType::Standard,
        SeatType::Premium => pb::SeatType::Premium,
        SeatType::Accessible => pb::SeatType::Accessible,
    }
}

pub fn seat_status(s: SeatStatus) -> pb::SeatStatus {
    match s {
        SeatStatus::Available => pb::SeatStatus::Available,
        SeatStatus::Held => pb::SeatStatus::Held,
        SeatStatus::Sold => pb::SeatStatus::Sold,
    }
}

pub fn movie(m: Movie) -> pb::Movie {
    pb::Movie {
        id: m.id.to_string(),
        title: m.title,
        runtime_minutes: m.runtime_minutes,
        rating: m.rating,
        genres: m.genres,
        synopsis: m.synopsis,
        poster_url: m.poster_url,
        release_date: m.release_date.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub fn cinema(c: Cinema) -> pb::Cinema {
    pb::Cinema {
        id: c.id.to_string(),
        name: c.name,
        address: c.address,
        time_zone: c.time_zone,
    }
}

pub fn showtime(s: Showtime) -> pb::Showtime {
    let prices = SeatType::ALL
        .into_iter()
        .map(|t| pb::SeatPrice {
            seat_type: seat_type(t) as i32,
            price: Some(money(&s.prices.price(t))),
        })
        .collect();
    pb::Showtime {
        id: s.id.to_string(),
        movie_id: s.movie_id.to_string(),
        cinema_id: s.cinema_id.to_string(),
        auditorium_id: s.auditorium_id.to_string(),
        auditorium_name: s.auditorium_name,
        starts_at: Some(timestamp(s.starts_at)),
        ends_at: Some(timestamp(s.ends_at)),
        prices,
    }
}

pub fn seat(s: &SeatView) -> pb::Seat {
    pb::Seat {
        id: s.id.clone(),
        row: s.row.clone(),
        number: s.number as i32,
        r#type: seat_type(s.seat_type) as i32,
        status: seat_status(s.status) as i32,
        price: Some(money(&s.price)),
    }
}

/// Seats in map order, grouped into their rows, each with the aisles of its layout row.
pub fn rows(seats: &[SeatView], aisles: &LayoutAisles) -> Vec<pb::SeatRow> {
    let mut rows: Vec<pb::SeatRow> = Vec::new();
    for s in seats {
        match rows.last_mut() {
            Some(row) if row.label == s.row => row.seats.push(seat(s)),
            _ => rows.push(pb::SeatRow {
                label: s.row.clone(),
                seats: vec![seat(s)],
                gaps_after: aisles
                    .gaps_after(&s.row)
                    .iter()
                    .map(|n| u32::from(*n))
                    .collect(),
            }),
        }
    }
    rows
}

pub fn hold(h: HoldRecord) -> pb::Hold {
    let state = match h.state {
        HoldState::Held => pb::HoldState::Held,
        HoldState::Confirmed => pb::HoldState::Confirmed,
        HoldState::Released => pb::HoldState::Released,
        HoldState::Expired => pb::HoldState::Expired,
    };
    pb::Hold {
        hold_id: h.id.to_string(),
        showtime_id: h.showtime_id.to_string(),
        seats: h.seats.iter().map(seat).collect(),
        seat_ids: h.seat_ids,
        expires_at: Some(timestamp(h.expires_at)),
        state: state as i32,
        total: Some(money(&h.total)),
    }
}

pub fn change(c: SeatChange) -> pb::SeatChange {
    pb::SeatChange {
        showtime_id: c.showtime_id.to_string(),
        seat_id: c.seat_id,
        status: seat_status(c.status) as i32,
        version: c.version,
    }
}
