#!/usr/bin/env python3
"""Writes the exports_heldout3 folders (seeded: the same files every run)."""
import csv, os, random

R = random.Random(20261205)
FIRST = ["Olivia", "Noah", "Emma", "Liam", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Aria", "Kai", "Zoe", "Omar", "Leila", "Hana", "Jon", "Rosa"]
LAST = ["Nguyen", "Okafor", "Schmidt", "Rivera", "Patel", "Kowalski", "Haddad", "Brennan", "Tanaka", "Moreau", "Silva", "Larsen", "Ibrahim", "Cohen"]
STREETS = ["Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm Dr", "Birch Way", "Willow Ct"]
CITIES = [("Boise", "ID", "837"), ("Spokane", "WA", "992"), ("Tacoma", "WA", "984"), ("Salem", "OR", "973")]


def phone():
    return "(%03d) %03d-%04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))


def email(f, l):
    return "%s.%s%d@%s" % (f.lower(), l.lower(), R.randint(1, 99), R.choice(["gmail.com", "yahoo.com", "outlook.com", "icloud.com"]))


def date(y0, y1, fmt="%02d/%02d/%04d"):
    return fmt % (R.randint(1, 12), R.randint(1, 28), R.randint(y0, y1))


def write(folder, name, header, rows, delimiter=",", crlf=False):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n",
                       quoting=csv.QUOTE_ALL if name == "Patients Export.csv" else csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def softdent():
    pts = []
    for i in range(22):
        f, l = R.choice(FIRST), R.choice(LAST)
        city, st, z = R.choice(CITIES)
        pts.append(["%05d" % (1200 + i), "%s, %s" % (l, f), date(1940, 2015), R.choice(["M", "F", "F", "M", "U"]),
                    "%d %s" % (R.randint(10, 9999), R.choice(STREETS)), city, st, z + "%02d" % R.randint(0, 99),
                    phone() if R.random() < 0.6 else "", phone(), email(f, l) if R.random() < 0.85 else "",
                    R.choice(["DDS01", "DDS02", "HYG03"]), R.choice(["Delta Dental", "Cigna", "MetLife", "", "Aetna"]),
                    "%.2f" % (R.random() * 900 if R.random() < 0.5 else 0), "%03d-%02d-%04d" % (R.randint(100, 899), R.randint(10, 99), R.randint(1000, 9999)) if R.random() < 0.7 else "",
                    date(2022, 2024)])
    write("softdent", "Patient Report.csv", ["Acct No", "Patient Name", "Birth Date", "Sex", "Street", "City", "St", "Zip Code", "Home Ph", "Cell Ph",
                                             "E-Mail Address", "Primary Dentist", "Ins Carrier", "Balance Due", "Social Sec No", "Last Visit"], pts, crlf=True)
    appts = []
    for i in range(30):
        p = R.choice(pts)
        appts.append(["A%d" % (5000 + i), p[0], date(2024, 2025), R.choice(["8:00a", "9:30a", "1:00p", "3:30p"]), str(R.choice([30, 60, 90])),
                      R.choice(["DDS01", "DDS02", "HYG03"]), R.choice(["PROPHY", "BWX,PROPHY", "CROWN PREP", "EXAM"]), R.choice(["Y", "N"])])
    write("softdent", "Appointment Book.csv", ["Appt #", "Acct No", "Date", "Time", "Duration", "Provider", "Procedures", "Confirmed"], appts, crlf=True)


def dolphin():
    pts = []
    for i in range(18):
        f, l = R.choice(FIRST), R.choice(LAST)
        pts.append(["D%04d" % (300 + i), l, f, date(2005, 2016, "%04d-%02d-%02d".replace("%04d-%02d-%02d", "%02d.%02d.%04d")), phone(), email(f, l),
                    "%s %s" % (R.choice(FIRST), l), R.choice(["Active Tx", "Retention", "Observation", "Debond"]),
                    R.choice(["Blue", "Pink", "Clear", "Green", ""]), "Dr. " + R.choice(LAST)])
    write("dolphin_ortho", "patients.csv", ["PatientID", "Surname", "GivenName", "DOB", "Mobile", "EmailAddr", "ResponsibleParty", "TxStatus", "BracketColor", "ReferringDr"],
          pts, delimiter=";")
    cons = []
    for i, p in enumerate(R.sample(pts, 14)):
        total = R.choice([4800, 5200, 5600, 6100])
        down = R.choice([500, 1000, 1500])
        cons.append(["C-%03d" % (i + 1), p[0], "%d,00" % total, "%d,00" % down, "%d,00" % ((total - down) // 24), date(2023, 2025, "%02d.%02d.%04d"),
                     R.choice(["Signed", "Pending", "Paid in full", "Cancelled"])])
    write("dolphin_ortho", "contracts.csv", ["ContractID", "PatientID", "TotalFee", "DownPayment", "MonthlyPayment", "StartDate", "Status"], cons, delimiter=";")


def carestack():
    provs = [["P-%d" % (i + 1), "Dr. %s %s" % (R.choice(FIRST), R.choice(LAST)), str(R.randint(1000000000, 1999999999)),
              R.choice(["General Dentistry", "Periodontics", "Hygiene"]), "p%d@smilecare.example" % (i + 1)] for i in range(4)]
    write("carestack", "Providers.csv", ["Provider Id", "Display Name", "NPI", "Specialty", "Email"], provs)
    pts = []
    for i in range(24):
        f, l = R.choice(FIRST), R.choice(LAST)
        city, st, z = R.choice(CITIES)
        pts.append([str(88100 + i * 7), f, l, date(1950, 2018, "%04d-%02d-%02d".replace("%04d-%02d-%02d", "%02d/%02d/%04d")), phone(),
                    phone() if R.random() < 0.4 else "", email(f, l), "%d %s" % (R.randint(10, 9999), R.choice(STREETS)),
                    R.choice(["", "", "Apt %d" % R.randint(1, 40), "Unit B"]), city, st, z + "%02d" % R.randint(0, 99),
                    R.choice(["English", "Spanish", "English", "Vietnamese"]), R.choice(["Active", "Inactive", "Active"]),
                    "2019-%02d-%02dT10:%02d:00" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 59)), R.choice(provs)[0]])
    write("carestack", "Patients Export.csv", ["Patient Id", "First Name", "Last Name", "Date of Birth", "Primary Phone", "Secondary Phone", "Email",
                                               "Address Line 1", "Address Line 2", "City", "State", "Zip", "Preferred Language", "Patient Status",
                                               "Created Date", "Provider Id"], pts)
    rec = [[p[0], R.choice(["6 Month Recall", "Perio Maintenance", "Annual Exam"]), date(2025, 2026), R.choice(["Due", "Scheduled", "Overdue"])] for p in R.sample(pts, 20)]
    write("carestack", "Recall List.csv", ["Patient Id", "Recall Type", "Due Date", "Status"], rec)


softdent()
dolphin()
carestack()
