//! Embedded reference data: provinces, names, fields of study and the mixes the rows follow.

/// Province code (as in the NIK), name, and weight (population in hundred thousands, 2020).
pub(super) const PROVINCES: [(u64, &str, u32); 35] = [
    (11, "Aceh", 53),
    (12, "Sumatera Utara", 148),
    (13, "Sumatera Barat", 55),
    (14, "Riau", 64),
    (15, "Jambi", 36),
    (16, "Sumatera Selatan", 85),
    (17, "Bengkulu", 20),
    (18, "Lampung", 90),
    (19, "Kepulauan Bangka Belitung", 15),
    (21, "Kepulauan Riau", 21),
    (31, "DKI Jakarta", 106),
    (32, "Jawa Barat", 483),
    (33, "Jawa Tengah", 365),
    (34, "DI Yogyakarta", 37),
    (35, "Jawa Timur", 407),
    (36, "Banten", 119),
    (51, "Bali", 43),
    (52, "Nusa Tenggara Barat", 53),
    (53, "Nusa Tenggara Timur", 53),
    (61, "Kalimantan Barat", 54),
    (62, "Kalimantan Tengah", 27),
    (63, "Kalimantan Selatan", 41),
    (64, "Kalimantan Timur", 38),
    (65, "Kalimantan Utara", 7),
    (71, "Sulawesi Utara", 26),
    (72, "Sulawesi Tengah", 30),
    (73, "Sulawesi Selatan", 91),
    (74, "Sulawesi Tenggara", 26),
    (75, "Gorontalo", 12),
    (76, "Sulawesi Barat", 14),
    (81, "Maluku", 18),
    (82, "Maluku Utara", 13),
    (91, "Papua Barat", 6),
    (92, "Papua Barat Daya", 6),
    (94, "Papua", 43),
];
/// Applicants in the `papua` seat group come from the Papuan provinces.
pub(super) const PAPUA_WEIGHTS: &[(u64, u32)] = &[(91, 6), (92, 6), (94, 43)];
/// `disadvantaged_region` applicants come mostly from the east and the interior.
pub(super) const REMOTE_WEIGHTS: &[(u64, u32)] = &[
    (53, 30),
    (81, 12),
    (82, 10),
    (94, 15),
    (91, 5),
    (74, 8),
    (72, 8),
    (61, 8),
    (52, 6),
    (11, 4),
];

pub(super) const SEAT_GROUPS: &[(&str, u32)] = &[
    ("general", 943),
    ("cum_laude", 30),
    ("disability", 10),
    ("papua", 10),
    ("disadvantaged_region", 5),
    ("diaspora", 2),
];
/// Realistic wrong values for the `unknown seat group` defect.
pub(super) const UNKNOWN_SEAT_GROUPS: [&str; 4] = ["umum", "cumlaude", "disabilitas", "Papua"];

/// Completed age on the reference date, per mille: mostly 21–35, 3% outside.
pub(super) const AGES: &[(u32, u32)] = &[
    (18, 1),
    (19, 2),
    (20, 4),
    (21, 45),
    (22, 95),
    (23, 115),
    (24, 115),
    (25, 100),
    (26, 88),
    (27, 78),
    (28, 68),
    (29, 58),
    (30, 50),
    (31, 42),
    (32, 36),
    (33, 30),
    (34, 26),
    (35, 24),
    (36, 8),
    (37, 6),
    (38, 4),
    (39, 3),
    (40, 2),
];
pub(super) const MAX_AGE: u32 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Sma,
    D3,
    D4,
    S1,
    S2,
}

pub(super) const LEVELS: &[(Level, u32)] = &[
    (Level::S1, 70),
    (Level::D3, 12),
    (Level::Sma, 7),
    (Level::S2, 6),
    (Level::D4, 5),
];

impl Level {
    /// In discriminant order, so `Level as usize` indexes it.
    pub(super) const ALL: [Level; 5] = [Level::Sma, Level::D3, Level::D4, Level::S1, Level::S2];

    pub(super) fn code(self) -> &'static str {
        match self {
            Level::Sma => "SMA",
            Level::D3 => "D3",
            Level::D4 => "D4",
            Level::S1 => "S1",
            Level::S2 => "S2",
        }
    }

    /// Cum laude is a university predicate.
    pub(super) fn tertiary(self) -> Level {
        if self == Level::Sma { Level::S1 } else { self }
    }

    pub(super) fn fields(self) -> &'static [(&'static str, u32)] {
        match self {
            Level::Sma => &[
                ("IPA", 45),
                ("IPS", 35),
                ("Teknik Komputer dan Jaringan", 10),
                ("Akuntansi dan Keuangan Lembaga", 10),
            ],
            Level::D3 => &[
                ("Keperawatan", 25),
                ("Kebidanan", 20),
                ("Farmasi", 10),
                ("Akuntansi", 10),
                ("Teknik Informatika", 8),
                ("Manajemen Informatika", 7),
                ("Analis Kesehatan", 6),
                ("Rekam Medis dan Informasi Kesehatan", 6),
                ("Administrasi Perkantoran", 5),
                ("Teknik Sipil", 3),
            ],
            Level::D4 => &[
                ("Keperawatan", 20),
                ("Kebidanan", 15),
                ("Akuntansi Sektor Publik", 15),
                ("Statistika", 12),
                ("Teknologi Laboratorium Medis", 10),
                ("Gizi", 10),
                ("Teknik Informatika", 10),
                ("Perpajakan", 8),
            ],
            Level::S1 => &[
                ("Pendidikan Guru Sekolah Dasar", 14),
                ("Keperawatan", 8),
                ("Akuntansi", 8),
                ("Manajemen", 8),
                ("Ilmu Hukum", 7),
                ("Teknik Informatika", 6),
                ("Sistem Informasi", 5),
                ("Kesehatan Masyarakat", 5),
                ("Ilmu Administrasi Negara", 5),
                ("Pendidikan Matematika", 4),
                ("Pendidikan Bahasa Indonesia", 3),
                ("Pendidikan Bahasa Inggris", 3),
                ("Pendidikan Agama Islam", 3),
                ("Ilmu Ekonomi", 3),
                ("Teknik Sipil", 3),
                ("Agroteknologi", 2),
                ("Statistika", 2),
                ("Farmasi", 2),
                ("Psikologi", 2),
                ("Ilmu Komunikasi", 2),
                ("Ilmu Pemerintahan", 2),
                ("Kedokteran", 1),
                ("Hubungan Internasional", 1),
                ("Teknik Elektro", 1),
                ("Arsitektur", 1),
                ("Perencanaan Wilayah dan Kota", 1),
                ("Kehutanan", 1),
                ("Gizi", 1),
            ],
            Level::S2 => &[
                ("Ilmu Hukum", 15),
                ("Manajemen", 15),
                ("Ilmu Administrasi Publik", 15),
                ("Kesehatan Masyarakat", 12),
                ("Pendidikan Dasar", 10),
                ("Ekonomi Pembangunan", 8),
                ("Teknik Informatika", 8),
                ("Akuntansi", 7),
                ("Statistika", 5),
                ("Perencanaan Wilayah dan Kota", 5),
            ],
        }
    }
}

pub(super) const CERTIFICATES: &[&str] = &[
    "TOEFL 450",
    "TOEFL 500",
    "TOEFL 550",
    "IELTS 6.5",
    "Sertifikat Kompetensi BNSP",
    "Sertifikat Pengadaan Barang/Jasa Tingkat Dasar",
    "Brevet Pajak A dan B",
    "Sertifikat Ahli K3 Umum",
    "Microsoft Office Specialist",
    "Cisco CCNA",
];

pub(super) const EMAIL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 780),
    ("yahoo.co.id", 70),
    ("yahoo.com", 60),
    ("outlook.com", 30),
    ("hotmail.com", 25),
    ("icloud.com", 15),
    ("ymail.com", 10),
    ("rocketmail.com", 5),
];

/// Mobile prefixes after "08" (Telkomsel, Indosat, XL, Axis, Tri, Smartfren).
pub(super) const PHONE_PREFIXES: &[&str] = &[
    "11", "12", "12", "13", "13", "21", "21", "22", "23", "51", "52", "52", "53", "14", "15", "56",
    "57", "58", "17", "18", "19", "59", "77", "78", "31", "32", "38", "95", "96", "97", "98", "99",
    "81", "82", "88",
];

pub(super) const MALE_PREFIXES: &str = "Muhammad Muhammad Muhammad Mohammad Moh Ahmad Andi";
pub(super) const FEMALE_PREFIXES: &str = "Siti Siti Siti Nur Dewi Sri";

pub(super) const MALE_GIVEN: &str = "\
    Rizky Budi Agus Dedi Eko Fajar Hendra Irfan Joko Dimas Bayu Arif Yusuf Ilham Reza Fikri \
    Hafiz Aditya Rudi Wahyu Yoga Bagus Dwi Teguh Rahmat Hadi Gilang Kevin Rian Aldi Fauzan \
    Ikhsan Galih Satria Taufik Imam Lukman Hasan Ridwan Firman Anton Yohanes Stefanus Daniel \
    Samuel Made Wayan Ketut Nyoman Putu Rizal Andika Akbar Fadli Farhan Dani Ardi Bima Fahmi \
    Hendri Ilyas Zulfikar Yosua Michael Arya Haikal Naufal Alif Iqbal Syahrul Febri Ari Eka \
    Tri";
pub(super) const FEMALE_GIVEN: &str = "\
    Ayu Putri Rina Rini Fitri Indah Wulan Nurul Annisa Aisyah Dian Intan Ratna Yuni Maya Novi \
    Nadia Anisa Rizka Tika Eka Dina Fatimah Laila Mega Citra Sekar Ratih Kartika Desi Vina \
    Melati Nabila Zahra Salsabila Aulia Amalia Fadhila Lina Yulia Maria Fransiska Agnes \
    Theresia Novita Dwi Tri Nia Yuli Rahma Hana Shinta Anggi Sarah Cindy Bella Ika Endah";
pub(super) const MALE_SURNAMES: &str = "\
    Pratama Saputra Santoso Hidayat Nugroho Setiawan Kurniawan Gunawan Firmansyah Ramadhan \
    Hakim Rahman Wibowo Susanto Purnomo Prasetyo Utomo Syahputra Permana Hermawan Kusuma Putra \
    Maulana Wicaksono Sanjaya Hidayatullah Fauzi Hamzah Nurdin Syahrir Irawan Suryadi \
    Wijayanto Hartono Siswanto Anggara Adiputra Baharuddin Mahendra Prakoso";
pub(super) const FEMALE_SURNAMES: &str = "\
    Rahmawati Lestari Wulandari Puspitasari Handayani Kusumawati Anggraini Safitri Ramadhani \
    Permatasari Susanti Utami Novitasari Yuliani Pertiwi Maharani Oktaviani Purnamasari Astuti \
    Hartati Rahayu Fitriani Kurniasih Setyaningsih Wahyuni Nurhaliza Aprilia Amelia Febriani \
    Sari Damayanti Kurniawati Indriani Hasanah Mardiana Agustina Nuraini Ningsih Rosalina \
    Anjani";
/// Family names used by women and men alike (Batak, Karo, Minang, Minahasa, Maluku, Papua,
/// NTT, Chinese-Indonesian).
pub(super) const FAMILY_NAMES: &str = "\
    Siregar Nasution Harahap Lubis Simanjuntak Sitorus Hutagalung Sinaga Manurung Tambunan \
    Panjaitan Sihombing Pardede Situmorang Hasibuan Napitupulu Silalahi Pakpahan Sembiring \
    Ginting Tarigan Chaniago Piliang Tanjung Sondakh Lumentut Mandagi Pattiasina Latuconsina \
    Matulessy Rumbiak Wenda Kogoya Mandacan Manafe Nubatonis Ndoen Wijaya Halim Tanoto Gunadi \
    Salim";
/// Javanese single names. Name lists are words separated by spaces.
pub(super) const MALE_SINGLE: &str = "\
    Sutrisno Suparman Slamet Sugiarto Mulyono Sumarno Sugianto Supriyadi Suyanto Haryanto \
    Widodo Darmanto Sukirman Paryono Wagiman Tukiman Suroso Sarjono Bambang Purwanto";
pub(super) const FEMALE_SINGLE: &str = "\
    Sumiati Suparmi Sulastri Tumini Ngatini Wartini Suprihatin Endang Sukarni Mujiati Suwarni \
    Partini Sunarti Sriyani Wagiyem Yuliati Kasmini Rukmini Sumarni Supartini";
