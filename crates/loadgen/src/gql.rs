//! The GraphQL operations the scenarios send, exactly as a web client would.

pub const SEAT_MAP: &str = "query SeatMap($id: ID!) { showtime(id: $id) { id seatMap { rows { label seats { id row number type status } } } } }";

pub const SHOWTIMES: &str = "query Showtimes($movieId: ID) { showtimes(movieId: $movieId) { id startsAt movie { id title } cinema { id name } auditorium { id name } } }";

pub const MOVIES: &str = "query Movies { movies { id title runtimeMinutes rating genres } }";

pub const CREATE_BOOKING: &str = "mutation Create($input: CreateBookingInput!) { createBooking(input: $input) { id status holdExpiresAt total { amount currency } } }";

pub const PAY_BOOKING: &str = "mutation Pay($input: PayBookingInput!) { payBooking(input: $input) { id status tickets { code seatId } } }";

pub const GOOD_CARD: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";
