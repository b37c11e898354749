#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An instant from an RFC 3339 timestamp, with the offset it was written in.
///
/// Instants compare as instants (offsets normalised); the offset is kept only to show a local date.
/// Precision is one microsecond; finer digits are cut off.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64
    /// The offset from UTC the timestamp was written with, in seconds.
    public var offsetSeconds: Int

    public init(microseconds: Int64, offsetSeconds: Int = 0) {
        self.microseconds = microseconds
        self.offsetSeconds = offsetSeconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds == rhs.microseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(microseconds) }

    /// Why a text is not an RFC 3339 timestamp with an offset.
    public enum ParseError: Error, Equatable {
        case format
        case missingOffset
        case outOfRange
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; a timestamp without an offset is refused.
    /// An RFC 3339 time, or a calendar date (`2027-06-30`) read as the start of that day in Finnish
    /// standard time (+02:00); nil for anything else.
    public static func dateOrTime(_ text: String) -> Timestamp? {
        if case .success(let time) = parse(text) { return time }
        if text.utf8.count == 10, case .success(let time) = parse(text + "T00:00:00+02:00") { return time }
        return nil
    }

    public static func parse(_ text: String) -> Result<Timestamp, ParseError> {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// ``parse(_:)`` of UTF-8 bytes (as a database hands them out, without making a string first).
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Result<Timestamp, ParseError> {
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<start + count {
                let byte = bytes[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func byte(_ index: Int, is character: Unicode.Scalar) -> Bool {
            index < bytes.count && bytes[index] == UInt8(ascii: character)
        }
        guard let year = digits(0, 4), byte(4, is: "-"), let month = digits(5, 2), byte(7, is: "-"),
            let day = digits(8, 2), byte(10, is: "T") || byte(10, is: "t") || byte(10, is: " "),
            let hour = digits(11, 2), byte(13, is: ":"), let minute = digits(14, 2), byte(16, is: ":"),
            let second = digits(17, 2)
        else { return .failure(.format) }
        var index = 19
        var micros = 0
        if byte(index, is: ".") {
            index += 1
            var count = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if count < 6 { micros = micros * 10 + Int(bytes[index] - 48) }
                count += 1
                index += 1
            }
            guard count > 0 else { return .failure(.format) }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        var offset = 0
        if index == bytes.count {
            return .failure(.missingOffset)
        } else if byte(index, is: "Z") || byte(index, is: "z") {
            index += 1
        } else if byte(index, is: "+") || byte(index, is: "-") {
            let sign = byte(index, is: "-") ? -1 : 1
            guard let offsetHours = digits(index + 1, 2), byte(index + 3, is: ":"), let offsetMinutes = digits(index + 4, 2),
                offsetHours < 24, offsetMinutes < 60
            else { return .failure(.format) }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return .failure(.format)
        }
        guard index == bytes.count else { return .failure(.format) }
        guard (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60, second < 61,
            year >= 1900
        else { return .failure(.outOfRange) }
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
        return .success(Timestamp(microseconds: seconds * 1_000_000 + Int64(micros), offsetSeconds: offset))
    }

    /// The local calendar date (in the timestamp's own offset).
    public var localDate: (year: Int, month: Int, day: Int) {
        let local = microseconds / 1_000_000 + Int64(offsetSeconds)
        let days = Int(floorDivide(local, 86_400))
        return civilFromDays(days)
    }

    /// RFC 3339 in the timestamp's own offset, without fractional seconds when they are zero.
    public var description: String {
        let local = microseconds / 1_000_000 + Int64(offsetSeconds)
        let days = Int(floorDivide(local, 86_400))
        let secondsOfDay = Int(local - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        // Written digit by digit: credentials and reports format many timestamps.
        var text: [UInt8] = []
        text.reserveCapacity(32)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            if value < 0 || value >= divisor * 10 {
                text.append(contentsOf: String(value).utf8)
                return
            }
            while divisor > 0 {
                text.append(UInt8(48 + value / divisor % 10))
                divisor /= 10
            }
        }
        func separator(_ character: Unicode.Scalar) { text.append(UInt8(ascii: character)) }
        digits(year, 4)
        separator("-")
        digits(month, 2)
        separator("-")
        digits(day, 2)
        separator("T")
        digits(secondsOfDay / 3600, 2)
        separator(":")
        digits(secondsOfDay / 60 % 60, 2)
        separator(":")
        digits(secondsOfDay % 60, 2)
        let micros = Int(microseconds - floorDivide(microseconds, 1_000_000) * 1_000_000)
        if micros != 0 {
            separator(".")
            digits(micros, 6)
        }
        if offsetSeconds == 0 {
            separator("Z")
        } else {
            let absolute = abs(offsetSeconds)
            separator(offsetSeconds < 0 ? "-" : "+")
            digits(absolute / 3600, 2)
            separator(":")
            digits(absolute / 60 % 60, 2)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The current time in UTC, to the microsecond.
    public static var now: Timestamp { Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))) }

    /// RFC 3339 in UTC with a `Z`, whole seconds: the form every validator parses.
    public var utcDescription: String { Timestamp(microseconds: seconds * 1_000_000, offsetSeconds: 0).description }

    /// Whole seconds since the epoch, rounded down (JWT NumericDate).
    public var seconds: Int64 { floorDivide(microseconds, 1_000_000) }

    /// Adds calendar months (for badge validity), clamping the day to the month's length.
    public func addingMonths(_ months: Int) -> Timestamp {
        let local = microseconds / 1_000_000 + Int64(offsetSeconds)
        let days = Int(floorDivide(local, 86_400))
        let secondsOfDay = local - Int64(days) * 86_400
        let (year, month, day) = civilFromDays(days)
        let total = year * 12 + (month - 1) + months
        let newYear = floorDivide(Int64(total), 12)
        let newMonth = total - Int(newYear) * 12 + 1
        let newDay = min(day, daysInMonth(Int(newYear), newMonth))
        let newLocal = Int64(daysFromCivil(Int(newYear), newMonth, newDay)) * 86_400 + secondsOfDay
        let fraction = microseconds - floorDivide(microseconds, 1_000_000) * 1_000_000
        return Timestamp(microseconds: (newLocal - Int64(offsetSeconds)) * 1_000_000 + fraction, offsetSeconds: offsetSeconds)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

private func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

private func daysInMonth(_ year: Int, _ month: Int) -> Int {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
private func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
public func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

extension Timestamp: Codable {
    /// Decodes RFC 3339 text with an offset.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard case .success(let timestamp) = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an RFC 3339 timestamp with an offset")
        }
        self = timestamp
    }

    /// Encodes as RFC 3339 text in the timestamp's own offset.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
