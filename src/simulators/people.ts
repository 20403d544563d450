/**
 * The simulated workforce shared by both simulators.
 *
 * The TimeClock simulator owns attendance (who was clocked in when); the clockodo simulator books
 * time entries against the same people through `AttendanceSource`, so the two sources agree the
 * way a real company's would. Everything is a pure function of (count, seed).
 */
import { seededRandom } from './faults.ts';

export interface SimPerson {
  employeeNumber: number;
  email: string;
  firstName: string;
  lastName: string;
  timezone: string;
}

export interface AttendanceSource {
  people: SimPerson[];
  /** net attended seconds (session time minus lunches) of that person on that local date (date of session start), after mutations */
  netSecondsOn(employeeNumber: number, localDate: string): number;
}

/** Zones rotate in this order by position: employee 1001 is in Jerusalem, 1002 in Berlin, ... */
export const SIM_ZONES = ['Asia/Jerusalem', 'Europe/Berlin', 'America/New_York', 'Europe/London'] as const;

export const FIRST_EMPLOYEE_NUMBER = 1001;

type Gender = 'female' | 'male';
/** [display name, ASCII form for the e-mail address, gender] */
type FirstName = readonly [string, string, Gender];
/** [display name, ASCII form for the e-mail address] */
type LastName = readonly [string, string];

interface NamePool {
  first: readonly FirstName[];
  last: readonly LastName[];
}

const POOLS: Record<(typeof SIM_ZONES)[number], NamePool> = {
  'Asia/Jerusalem': {
    first: [
      ['שרה', 'sarah', 'female'],
      ['Noa', 'noa', 'female'],
      ['Tamar', 'tamar', 'female'],
      ['מיכל', 'michal', 'female'],
      ['Yael', 'yael', 'female'],
      ['Elena', 'elena', 'female'],
      ['דוד', 'david', 'male'],
      ['Yosef', 'yosef', 'male'],
      ['Omer', 'omer', 'male'],
      ['Itai', 'itai', 'male'],
      ['Amir', 'amir', 'male'],
      ['Dmitri', 'dmitri', 'male'],
    ],
    last: [
      ['כהן', 'cohen'],
      ['Levi', 'levi'],
      ['Mizrahi', 'mizrahi'],
      ['פרץ', 'peretz'],
      ['Biton', 'biton'],
      ['Friedman', 'friedman'],
      ['Azoulay', 'azoulay'],
      ['Shapiro', 'shapiro'],
      ['Haddad', 'haddad'],
      ['Katz', 'katz'],
    ],
  },
  'Europe/Berlin': {
    first: [
      ['Zoë', 'zoe', 'female'],
      ['Jürgen', 'juergen', 'male'],
      ['Anna', 'anna', 'female'],
      ['Lena', 'lena', 'female'],
      ['Małgorzata', 'malgorzata', 'female'],
      ['Ayşe', 'ayse', 'female'],
      ['Łukasz', 'lukasz', 'male'],
      ['Jörg', 'joerg', 'male'],
      ['Felix', 'felix', 'male'],
      ['Mehmet', 'mehmet', 'male'],
      ['Sophie', 'sophie', 'female'],
      ['Björn', 'bjoern', 'male'],
    ],
    last: [
      ['Müller', 'mueller'],
      ['Schmidt', 'schmidt'],
      ['Weiß', 'weiss'],
      ['Schäfer', 'schaefer'],
      ['Nowak', 'nowak'],
      ['Wójcik', 'wojcik'],
      ['Yılmaz', 'yilmaz'],
      ['Becker', 'becker'],
      ['Krüger', 'krueger'],
      ['Hoffmann', 'hoffmann'],
    ],
  },
  'America/New_York': {
    first: [
      ['Emily', 'emily', 'female'],
      ['Madison', 'madison', 'female'],
      ['Chloé', 'chloe', 'female'],
      ['Aaliyah', 'aaliyah', 'female'],
      ['María José', 'mariajose', 'female'],
      ['Michael', 'michael', 'male'],
      ['José', 'jose', 'male'],
      ['Tyrone', 'tyrone', 'male'],
      ['Nguyễn', 'nguyen', 'male'],
      ['Ethan', 'ethan', 'male'],
      ['Hannah', 'hannah', 'female'],
      ["D'Andre", 'dandre', 'male'],
    ],
    last: [
      ['Smith', 'smith'],
      ['Johnson', 'johnson'],
      ['García', 'garcia'],
      ['Rodríguez', 'rodriguez'],
      ["O'Brien", 'obrien'],
      ['Williams', 'williams'],
      ['Kowalski', 'kowalski'],
      ['Peña', 'pena'],
      ['Washington', 'washington'],
      ['Chen', 'chen'],
    ],
  },
  'Europe/London': {
    first: [
      ['Olivia', 'olivia', 'female'],
      ['Siobhán', 'siobhan', 'female'],
      ['Amelia', 'amelia', 'female'],
      ['Priya', 'priya', 'female'],
      ['Isla', 'isla', 'female'],
      ['Oliver', 'oliver', 'male'],
      ['Seán', 'sean', 'male'],
      ['Harry', 'harry', 'male'],
      ['Rhys', 'rhys', 'male'],
      ['Kwame', 'kwame', 'male'],
      ['Niamh', 'niamh', 'female'],
      ['Dafydd', 'dafydd', 'male'],
    ],
    last: [
      ['Jones', 'jones'],
      ['Taylor', 'taylor'],
      ['Ó Súilleabháin', 'osullivan'],
      ['Patel', 'patel'],
      ['Evans', 'evans'],
      ['Wright', 'wright'],
      ['MacDonald', 'macdonald'],
      ['Thomas', 'thomas'],
      ['Mensah', 'mensah'],
      ['Hughes', 'hughes'],
    ],
  },
};

const EMAIL_DOMAIN = 'acme-staffing.example';

interface PersonWithGender extends SimPerson {
  gender: Gender;
}

function pick<T>(list: readonly T[], random: () => number): T {
  const item = list[Math.floor(random() * list.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function build(count: number, seed: number): PersonWithGender[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`people count must be a non-negative integer, got ${count}`);
  const random = seededRandom((seed ^ 0x5eed_1e0f) >>> 0);
  const usedEmails = new Set<string>();
  const people: PersonWithGender[] = [];
  for (let i = 0; i < count; i += 1) {
    const timezone = SIM_ZONES[i % SIM_ZONES.length] ?? 'Europe/Berlin';
    // Mostly local names, sometimes someone from another pool (people move).
    const pool = random() < 0.8 ? POOLS[timezone as keyof typeof POOLS] : pick(Object.values(POOLS), random);
    const [firstName, firstAscii, gender] = pick(pool.first, random);
    const [lastName, lastAscii] = pick(pool.last, random);
    let local = `${firstAscii}.${lastAscii}`;
    for (let n = 2; usedEmails.has(local); n += 1) local = `${firstAscii}.${lastAscii}${n}`;
    usedEmails.add(local);
    people.push({
      employeeNumber: FIRST_EMPLOYEE_NUMBER + i,
      email: `${local}@${EMAIL_DOMAIN}`,
      firstName,
      lastName,
      timezone,
      gender,
    });
  }
  return people;
}

export function makePeople(count: number, seed: number): SimPerson[] {
  return build(count, seed).map(({ gender: _gender, ...person }) => person);
}

/** Like makePeople, with the gender the name was drawn with (the TimeClock simulator reports it). */
export function makePeopleWithGender(count: number, seed: number): Array<SimPerson & { gender: Gender }> {
  return build(count, seed);
}
