/* SPDX-License-Identifier: ISC */
/*
 * gen-fixtures: seeded CSV fixtures for tests, the demo and benchmarks.
 * Person k is a pure function of (seed, k), so every KIND generated with one
 * seed describes the same people: a test can plant a NADRA record, a
 * history entry or a control list hit by choosing overlapping indices.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define PROG "gen-fixtures"
#define USAGE \
	"usage: gen-fixtures [--seed N] [--from K] [--date YYYY-MM-DD] KIND COUNT\n" \
	"       gen-fixtures [--seed N] [--list-size L] [--truth FILE] screening COUNT\n" \
	"       gen-fixtures [--seed N] [--history-size H] [--truth FILE] dedup COUNT\n" \
	"       gen-fixtures [--seed N] [--from K] [--date D] [--truth FILE] payments COUNT\n" \
	"       gen-fixtures [--seed N] --printed FILE [--truth FILE] presented COUNT\n" \
	"       KIND: applications | nadra | pcl | history | registers | typed-register | fees\n"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, table, type) \
	(&(table)[pick_weighted((r), (table), NELEM(table), sizeof(type), \
	    offsetof(type, weight))])

/* The CNIC body and passport numbers carry 8 decimal digits of the index. */
#define PERSON_LIMIT 100000000ULL
/* the NADRA register alone goes beyond: 120 million citizens and more
 * (make bench-national); people from PERSON_LIMIT on have CNICs of their
 * own districts (make_cnic) and no passport */
#define NADRA_LIMIT 900000000ULL
#define PCL_BASE 50000000ULL
#define REGISTER_BASE 30000000ULL
#define TYPED_BASE 35000000ULL
#define GOLDEN 0x9e3779b97f4a7c15ULL
#define PERSON_MULT 0xd1b54a32d192ed03ULL
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum { ROW_MAX = 2048, NAME_LEN = 128, TEXT_LEN = 192, BUF_SIZE = 1 << 20 };

enum salt {
	SALT_APPLICATION = 0xa1, SALT_NADRA, SALT_PCL, SALT_HISTORY,
	SALT_REGISTERS, SALT_PHONE, SALT_ADDRESS, SALT_CNIC, SALT_PASSPORT,
	/* two kinds added on two branches at once: each keeps the salt it had */
	SALT_RECEIPT, SALT_PHOTO, SALT_TYPED, SALT_PAYMENT = SALT_TYPED,
	SALT_PRESENTED,
};

struct rng {
	uint64_t state;
};

static FILE *truth;                   /* --truth: what a checker should find */

struct choice {
	const char *text;
	unsigned weight;
};

struct city {
	const char *name;
	const char *upper;
	const char *district;
	const char *offices[3];
	const char *areas[5];
	unsigned weight;
};

struct mission {
	const char *code;
	const char *name;
	unsigned weight;
};

struct country {
	const char *name;
	const char *mission;
	const char *birth_city;
	unsigned weight;
};

struct date {
	int year, month, day;
};

struct config;
struct person;
struct row;

struct kind {
	const char *name;
	const char *header;
	uint64_t base;
	void (*write_row)(const struct config *, uint64_t, struct row *);
};

struct config {
	uint64_t seed;
	uint64_t from;
	uint64_t count;
	long batch_day;
	const struct kind *kind;
	uint64_t cnic_key;
	uint64_t passport_key;
	uint64_t receipt_key;
	uint64_t photo_key;
	uint64_t list_size;           /* screening: the entries of the pcl kind */
	uint64_t history_size;        /* dedup: the rows of the history kind */
};

struct person {
	uint64_t index;
	uint64_t seed;
	char sex;
	const struct city *birth;
	const struct city *home;
	long dob;
	char given[NAME_LEN];
	char surname[NAME_LEN];
	char father[NAME_LEN];
	char cnic[14];
};

struct names {
	char surname[NAME_LEN];
	char given[NAME_LEN];
	char father[NAME_LEN];
};

struct application {
	const char *office;
	const char *delivery_office;
	const char *category;
	const char *passport_type;
	const char *delivery_mode;
	long applied_on;
	int validity;
	int pages;
	int dob_parts;
	int dashed_cnic;
	int has_previous;
	int has_address;
	int international_phone;
	int variant;
};

struct row {
	char text[ROW_MAX];
	size_t len;
	unsigned fields;
};

/* Ordered by how common they are: rng_skewed favours the head. */
static const char *const male_names[] = {
	"ALI", "AHMED", "HASSAN", "HUSSAIN", "USMAN", "BILAL", "IMRAN",
	"ASIF", "TARIQ", "KAMRAN", "FAISAL", "ZUBAIR", "ABDUL REHMAN",
	"ABDULLAH", "HAMZA", "SAAD", "UMAR", "ZAHID", "SAJID", "WAQAS",
	"ADNAN", "NAVEED", "SHAHID", "KHALID", "RASHID", "JAVED", "ARSHAD",
	"NADEEM", "IRFAN", "SALMAN", "FAHAD", "HARIS", "ZEESHAN", "AAMIR",
	"YASIR", "ATIF", "SOHAIL", "JUNAID", "SHOAIB", "WASEEM", "NASIR",
	"AFZAL", "AKRAM", "ASLAM", "IQBAL", "ANWAR", "RIZWAN", "ARSALAN",
	"MOHSIN", "OWAIS", "TALHA", "HAIDER", "ABBAS", "RAZA", "SHAHZAD",
	"NOMAN", "UMAIR", "IBRAHIM", "ISMAIL", "YOUSAF", "IDREES", "ZAFAR",
	"ABDUL QADIR", "ABDUL GHAFFAR", "ABDUL WAHAB", "ABDUL SATTAR",
	"MASOOD", "SAFDAR", "MUDASSAR", "MUNEEB", "DANIYAL", "AYAN",
	"RAYYAN", "ZIA UL HAQ", "INAM UL HAQ", "ATTA UR REHMAN",
	"FAZAL UR REHMAN", "SHER KHAN", "GUL ZAMAN", "WAJID",
};

static const char *const elder_names[] = {
	"MUHAMMAD ASLAM", "MUHAMMAD AKRAM", "MUHAMMAD BASHIR", "GHULAM RASOOL",
	"ALLAH DITTA", "MUHAMMAD SHARIF", "GHULAM MUHAMMAD", "NAZIR AHMED",
	"BASHIR AHMED", "MUHAMMAD RAFIQ", "GHULAM HUSSAIN", "MUSHTAQ AHMED",
	"MANZOOR AHMED", "MUHAMMAD SIDDIQUE", "MUHAMMAD YOUNAS", "NOOR MUHAMMAD",
	"GHULAM MUSTAFA", "FAZAL DIN", "SIRAJ DIN", "KHUDA BUX",
	"ALLAH BAKHSH", "MEHBOOB ALI", "SULTAN AHMED", "ABDUL HAMEED",
	"ABDUL MAJEED", "ABDUL RASHEED", "ABDUL LATIF", "RAB NAWAZ",
	"SHER MUHAMMAD", "PIR BUX",
};

static const char *const female_names[] = {
	"AYESHA", "FATIMA", "ZAINAB", "SANA", "MARIAM", "HINA", "SADIA",
	"KHADIJA", "NOOR", "AMNA", "SAIRA", "RABIA", "NAZIA", "SHAZIA",
	"FARZANA", "NASREEN", "PARVEEN", "SHAHEEN", "RUKHSANA", "SAMINA",
	"TAHIRA", "ASMA", "BUSHRA", "IQRA", "HAFSA", "ALEENA", "ANAM",
	"MAHNOOR", "AREEBA", "KINZA", "LAIBA", "MAHAM", "HUMA", "UZMA",
	"SOBIA", "SUMAIRA", "NADIA", "RIDA", "ZARA", "EMAN", "HIRA", "SIDRA",
	"MEHWISH", "FARAH", "SAMRA", "ANEELA", "KOUSAR", "RAZIA", "SHAGUFTA",
	"SHABANA", "NOOR UL AIN", "UMM E KULSOOM", "QURAT UL AIN",
	"SYEDA FATIMA",
};

static const char *const surnames[] = {
	"KHAN", "MALIK", "AHMED", "ALI", "QURESHI", "BUTT", "CHAUDHRY",
	"AWAN", "RAJPUT", "SHEIKH", "SYED", "MIRZA", "ABBASI", "HUSSAIN",
	"SHAH", "JATOI", "BALOCH", "MEMON", "SIDDIQUI", "RANA", "GONDAL",
	"CHEEMA", "BAJWA", "WARRAICH", "GILL", "KHOKHAR", "JUTT", "ARAIN",
	"YOUSAFZAI", "AFRIDI", "DURRANI", "KHATTAK", "BANGASH", "MARWAT",
	"ORAKZAI", "SHINWARI", "MENGAL", "BUGTI", "MARRI", "RIND", "LEGHARI",
	"MAZARI", "TALPUR", "BHUTTO", "SOOMRO", "CHANDIO", "MAHAR", "SHAIKH",
	"ANSARI", "HASHMI", "GILANI", "BOKHARI", "NAQVI", "RIZVI", "JAFRI",
	"KAZMI", "ZAIDI", "TIRMIZI", "PIRZADA", "PARACHA", "SETHI", "LODHI",
	"NIAZI", "TIWANA", "NOON", "DOGAR", "BHATTI", "KHAWAJA", "KIYANI",
	"SATTI", "JANJUA", "MINHAS",
};

/*
 * The names of the control-list kinds (pcl, screening): the lists above
 * are the head, these the long tail, drawn by rank (rng_zipf) so that a few
 * names stay very common (ALI KHAN) while most people bear a name few
 * others bear, as they do: telling a listed person from the namesakes of
 * a common name needs the father's name and the date of birth, and a name
 * of the tail mostly does not.
 */
static const char *const male_tail[] = {
	"ABID", "ADEEL", "AFTAB", "AHSAN", "AIZAZ", "AJMAL", "AKBAR", "AKHTAR",
	"ALAMGIR", "ALTAF", "AMAN", "AMEER", "AMJAD", "ANEES", "ANSAR", "AQEEL",
	"ARIF", "ASAD", "ASHFAQ", "ASHRAF", "ASIM", "ATEEQ", "AURANGZEB", "AWAIS",
	"AZAM", "AZEEM", "AZHAR", "BABAR", "BADAR", "BAQIR", "BASIT", "BILAWAL",
	"DANISH", "DILAWAR", "EHSAN", "EJAZ", "FAHEEM", "FAIZ", "FAKHAR", "FARHAN",
	"FAROOQ", "FARRUKH", "FAWAD", "FAYYAZ", "FURQAN", "GHAZANFAR", "GOHAR",
	"HABIB", "HAFEEZ", "HAMID", "HANIF", "HASEEB", "HASHIM", "HUMAYUN",
	"IFTIKHAR", "IJAZ", "ILYAS", "IMTIAZ", "INTIZAR", "IRSHAD", "ISHAQ",
	"ISRAR", "JAHANGIR", "JALAL", "JAMIL", "JAMSHED", "JAWAD", "KALEEM",
	"KASHIF", "KHURRAM", "KHURSHID", "LIAQAT", "MAJID", "MAQSOOD", "MATEEN",
	"MAZHAR", "MAHMOOD", "MOAZZAM", "MOIN", "MUBASHIR", "MUJAHID", "MUKHTAR",
	"MUNAWAR", "MURTAZA", "MUZAMMIL", "NABEEL", "NAEEM", "NAJEEB", "NASEEM",
	"NAWAZ", "NISAR", "PERVAIZ", "QADEER", "QAISAR", "QAMAR", "QASIM",
	"RAFAQAT", "RAHEEL", "RAMZAN", "RAUF", "RIAZ", "SABIR", "SADIQ", "SAEED",
	"SAJJAD", "SAQIB", "SARFRAZ", "SHABBIR", "SHAFIQ", "SHAHBAZ", "SHAKEEL",
	"SHARJEEL", "SHAUKAT", "SHERAZ", "SHUJA", "SIKANDAR", "SUFYAN", "SULEMAN",
	"TAHIR", "TANVEER", "TAUQEER", "TAYYAB", "TOUSEEF", "USAMA", "WAHEED",
	"WAQAR", "YASEEN", "YAQOOB", "YAWAR", "ZAHEER", "ZAIN", "ZAKIR", "ZOHAIB",
	"ZULFIQAR", "ADIL", "SAIF ULLAH", "RAHMAT ULLAH", "ZIA ULLAH",
	"AMAN ULLAH", "HABIB ULLAH", "ASAD ULLAH", "SANA ULLAH", "KALEEM ULLAH",
	"ATTA ULLAH", "INAYAT ULLAH", "NAJAM UD DIN", "SALAH UD DIN", "MOIN UD DIN",
	"SHAMS UD DIN", "ALAM UD DIN", "FAKHAR UD DIN", "NOOR UL HAQ", "IKRAM UL HAQ",
	"EHSAN UL HAQ", "HAFEEZ UR REHMAN", "LUTF UR REHMAN", "SHAFIQ UR REHMAN",
	"MUJEEB UR REHMAN", "KHALIL UR REHMAN", "ABDUL KARIM", "ABDUL JABBAR",
	"ABDUL SAMAD", "ABDUL RAZZAQ", "ABDUL SALAM", "ABDUL AZIZ", "ABDUL HAKEEM",
	"ABDUL BASIT", "ABDUL QAYYUM", "ABDUL WAHID", "ABDUL GHANI", "ABDUL KHALIQ",
	"ABDUL JALIL", "ABDUL MANNAN", "ABDUL HAI", "ABDUL RAUF", "ABDUL NASIR",
	"ABDUL MATEEN", "ABDUL QUDDUS", "ABDUL WADOOD", "BAHADUR", "DOST MUHAMMAD",
	"FATEH", "GUL", "GULZAR", "HAQ NAWAZ", "JAN", "KARAM", "LAL", "MEHRAN",
	"NAWAB", "QURBAN", "SHAMSHAD", "SHER ALI", "SHAH NAWAZ", "TAJ", "UMAID",
	"WALI", "ZAREEN KHAN", "AHSAN ULLAH", "ARBAB", "DAUD", "ESSA", "HAROON",
	"IDRIS", "JIBRAN", "KHIZAR", "LUQMAN", "MOOSA", "NOOH", "SHOAIB AKHTAR",
	"YAHYA", "ZAKARIA", "AFAQ", "ANIQ", "AREEB", "FARAZ", "HASHAM", "MUSAB",
	"RAMEEZ", "SHAYAN", "TAIMOOR", "WAHAJ", "ZOHAN",
};

static const char *const female_tail[] = {
	"ABIDA", "AFSHAN", "ALIA", "AMBREEN", "ANDLEEB", "ANILA", "ARIFA",
	"ARJUMAND", "ASIFA", "ATIQA", "AZRA", "BENISH", "FAIZA", "FAKHRA", "FARHAT",
	"FARIDA", "FAUZIA", "GHAZALA", "GULNAZ", "HAJRA", "HALIMA", "HUMAIRA",
	"IRAM", "ISHRAT", "JAMILA", "JAVERIA", "KAINAT", "KALSOOM", "KIRAN", "LUBNA",
	"MADIHA", "MAHJABEEN", "MAHREEN", "MALIHA", "MEHNAZ", "MISBAH", "MUNAZZA",
	"MUSARRAT", "NABILA", "NAFEESA", "NAGHMA", "NAHEED", "NAILA", "NARGIS",
	"NASIMA", "NAUREEN", "NIDA", "NIGHAT", "NUSRAT", "QUDSIA", "RAFIA",
	"RASHIDA", "REHANA", "RIFFAT", "ROBINA", "SABA", "SABEEN", "SABIHA", "SADAF",
	"SAFIA", "SAIMA", "SAJIDA", "SALMA", "SARWAT", "SEEMA", "SHAISTA", "SHAMSA",
	"SHEHLA", "SHIREEN", "SOFIA", "SUMBUL", "TABASSUM", "TAHMINA", "TANZEELA",
	"TASNEEM", "UROOJ", "YASMEEN", "ZAHIDA", "ZAKIA", "ZOHRA", "ZUBAIDA",
	"ZUNAIRA", "WAJIHA", "SHUMAILA", "AQSA", "ARFA", "ERUM", "FIZZA", "GHAZAL",
	"HADIA", "HOORIA", "JANNAT", "KASHAF", "MAHIRA", "MANAHIL", "MINAHIL",
	"NIMRA", "RAMSHA", "SHIZA", "TOOBA", "WARDA", "YUSRA", "ZOYA", "ZUBIA",
	"BAKHT BIBI", "GUL BANO", "NAZ BIBI", "KHURSHID BEGUM", "SUGHRA", "KUBRA",
	"MEHR UN NISA", "KHAIR UN NISA", "ZAIB UN NISA", "BILQEES", "HAMEEDA",
	"KANEEZ", "MUMTAZ", "RASOOLAN", "SAKINA", "ZAREENA",
};

static const char *const surname_tail[] = {
	"ABRO", "AKHUND", "ALVI", "BAIG", "BHAYO", "BOSAN",
	"BRAHUI", "CHANNA", "CHATTHA", "DAHRI", "DASHTI", "DAUDZAI", "DHAMIAL",
	"DOTANI", "FARUQI", "GABOL", "GADHI", "GARDEZI", "GHUMMAN", "GORAYA",
	"HAIDRI", "HOTI", "JADOON", "JAMALI", "JAMOT", "JARWAR",
	"JUNEJO", "KAKAR", "KALHORO", "KAMBOH", "KANJU", "KHARAL",
	"KHILJI", "KHUHRO", "KORAI", "KUNDI", "LASHARI", "LOHANI",
	"MAHSUD", "MANGI", "MIRANI", "MOHMAND", "MUGHAL", "NAQSHBANDI",
	"PALIJO", "PANHWAR", "PATHAN", "QAISRANI", "RAISANI", "RAMAY", "RANJHA",
	"SAHI", "SANDHU", "SANGHA", "SARGANA", "SIAL", "SOLANGI", "TOOR",
	"UNAR", "USMANI", "VIRK", "WAZIR", "ZARDARI", "ZEHRI", "ZUBERI",
	"KHATRI", "LAKHO", "MALHI", "MANDOKHEL", "MAHESAR", "NAREJO",
	"PHULPOTO", "RATHORE", "SAMEJO", "SHAR", "SHEEDI", "ISRAN",
	"GURMANI", "HIRAJ", "LALIKA", "PARHAR", "CHISHTI", "DEHLVI", "KASURI",
	"LUDHIANVI", "NIZAMANI", "SHERAZI", "THEBO", "ARBANI", "BURIRO", "DAUDPOTA",
	"JISKANI", "KEERIO", "LUND", "MARI", "NOHANI", "QAIMKHANI", "SEHRAI",
	"SIYAL", "TUNIO", "ZAUR", "AFGHAN", "BARECH", "DAVI", "GANDAPUR", "ISAKHEL",
	"JALALZAI", "KAKAKHEL", "KHALIL", "MAMOND", "MOMAND", "SAFI", "SWATI",
	"TANOLI", "TARKHELI", "UTMANKHEL", "ZAKHEL", "BHATTI GILL", "CHUGHTAI",
	"DAR", "KHAWAR", "KIANI", "LONE", "MIR", "RATHER", "SHAHID", "WANI",
};

static const char *const elder_tail[] = {
	"GHULAM QADIR", "GHULAM SARWAR", "GHULAM HAIDER", "GHULAM NABI",
	"GHULAM FAREED", "GHULAM ABBAS", "ALLAH WASAYA", "ALLAH RAKHA",
	"ALLAH YAR", "KARAM DIN", "MEHR DIN", "CHIRAGH DIN", "JAN MUHAMMAD",
	"FAQIR MUHAMMAD", "DOST MUHAMMAD", "WALI MUHAMMAD", "TAJ MUHAMMAD",
	"SARDAR AHMED", "SAEED AHMED", "RASHEED AHMED", "ZAHOOR AHMED",
	"IFTIKHAR AHMED", "NISAR AHMED", "FAYYAZ AHMED", "MUHAMMAD SALEEM",
	"MUHAMMAD HANIF", "MUHAMMAD RAMZAN", "MUHAMMAD YAQOOB", "MUHAMMAD ISHAQ",
	"MUHAMMAD ANWAR", "MUHAMMAD IQBAL", "MUHAMMAD ARIF", "MUHAMMAD LATIF",
	"MUHAMMAD NAWAZ", "MUHAMMAD ASHRAF", "MUHAMMAD TUFAIL", "MUHAMMAD ILYAS",
	"MUHAMMAD RIAZ", "MUHAMMAD JAMIL", "MUHAMMAD HAYAT", "MUHAMMAD AFZAL",
	"MUHAMMAD SADIQ", "MUHAMMAD ZAMAN", "MUHAMMAD KHAN", "SHER ZAMAN",
	"GUL MUHAMMAD", "GUL NAWAZ", "HAJI KHAN", "PAINDA KHAN", "FAZAL KARIM",
	"FAZAL ELAHI", "KHAIR MUHAMMAD", "BARKAT ALI", "REHMAT ALI", "LIAQAT ALI",
	"SHAUKAT ALI", "NAWAB DIN", "QADIR BUX", "ILAHI BUX", "MURAD ALI",
};

static int rich_names;            /* the pcl and screening kinds */

/* Punctuation an operator may add to a registered name; the letters stay. */
static const char *const respellings[][2] = {
	{ "SAAD", "SA'AD" }, { "MASOOD", "MAS'OOD" }, { "SHOAIB", "SHO'AIB" },
	{ "ABDUL ", "ABDUL-" }, { " UL ", "-UL-" }, { " UR ", "-UR-" },
	{ " E ", "-E-" }, { "ALLAH DITTA", "ALLAH-DITTA" },
	{ "GHULAM ", "GHULAM-" },
};

static const struct city cities[] = {
	{ "Karachi", "KARACHI", "4210", { "KHI", "KHI-CLF", "KHI-NN" },
	  { "Gulshan-e-Iqbal Block 13-D", "North Nazimabad Block H",
	    "Clifton Block 5", "PECHS Block 2", "Korangi No. 4" }, 200 },
	{ "Lahore", "LAHORE", "3520", { "LHR", "LHR-GT", "LHR-DHA" },
	  { "Gulberg III", "Model Town", "Johar Town", "DHA Phase 5",
	    "Samanabad" }, 150 },
	{ "Faisalabad", "FAISALABAD", "3310", { "FSD" },
	  { "Peoples Colony No. 1", "Madina Town", "Jinnah Colony",
	    "Susan Road", "Ghulam Muhammad Abad" }, 60 },
	{ "Rawalpindi", "RAWALPINDI", "3740", { "RWP" },
	  { "Satellite Town", "Saddar", "Bahria Town Phase 7",
	    "Chaklala Scheme III", "Westridge" }, 50 },
	{ "Peshawar", "PESHAWAR", "1730", { "PEW" },
	  { "Hayatabad Phase 3", "University Town", "Gulbahar",
	    "Dalazak Road", "Warsak Road" }, 50 },
	{ "Islamabad", "ISLAMABAD", "6110", { "ISB", "ISB-G8" },
	  { "Sector G-9/2", "Sector F-7/3", "Sector I-8/4", "Sector G-11/1",
	    "Sector E-11/3" }, 40 },
	{ "Multan", "MULTAN", "3630", { "MUX" },
	  { "Gulgasht Colony", "Shah Rukn-e-Alam Colony", "Cantt",
	    "Bosan Road", "New Multan" }, 40 },
	{ "Gujranwala", "GUJRANWALA", "3410", { "GRW" },
	  { "Satellite Town", "Model Town", "Peoples Colony", "DC Road",
	    "Wapda Town" }, 40 },
	{ "Hyderabad", "HYDERABAD", "4130", { "HYD" },
	  { "Latifabad Unit 7", "Qasimabad", "Hirabad", "Citizen Colony" },
	  40 },
	{ "Quetta", "QUETTA", "5440", { "QTA" },
	  { "Jinnah Town", "Satellite Town", "Samungli Road", "Brewery Road",
	    "Sariab Road" }, 30 },
	{ "Sialkot", "SIALKOT", "3460", { "SKT" },
	  { "Cantt", "Model Town", "Rangpura", "Kashmir Road" }, 30 },
	{ "Sargodha", "SARGODHA", "3840", { "SGD" },
	  { "Satellite Town", "Civil Lines", "University Road",
	    "Muslim Town" }, 20 },
	{ "Bahawalpur", "BAHAWALPUR", "3120", { "BWP" },
	  { "Model Town A", "Satellite Town", "Shahdrah", "Islamia Colony" },
	  20 },
	{ "Sukkur", "SUKKUR", "4550", { "SUK" },
	  { "Military Road", "Barrage Colony", "New Pind", "Airport Road" },
	  15 },
	{ "Abbottabad", "ABBOTTABAD", "1310", { "ABT" },
	  { "Jinnahabad", "Mandian", "Supply Bazar", "Kakul Road",
	    "Nawansher" }, 15 },
	{ "Mardan", "MARDAN", "1610", { "MRD" },
	  { "Sheikh Maltoon Town", "Bank Road", "Par Hoti", "Shamsi Road" },
	  15 },
	{ "Gujrat", "GUJRAT", "3420", { "GRT" },
	  { "Shadman Colony", "Rehman Shaheed Road", "Jinnah Road" }, 15 },
	{ "Sheikhupura", "SHEIKHUPURA", "3540", { "SKP" },
	  { "Housing Colony", "Jandiala Road", "Lahore Road" }, 12 },
	{ "Sahiwal", "SAHIWAL", "3650", { "SWL" },
	  { "Farid Town", "Jahaz Ground", "High Street" }, 12 },
	{ "Rahim Yar Khan", "RAHIM YAR KHAN", "3130", { "RYK" },
	  { "Model Town", "Shahi Road", "Abbasia Town" }, 12 },
	{ "Dera Ghazi Khan", "DERA GHAZI KHAN", "3210", { "DGK" },
	  { "Model Town", "Block 17", "Jampur Road" }, 10 },
	{ "Larkana", "LARKANA", "4320", { "LRK" },
	  { "Sachal Colony", "Station Road", "Bakrani Road" }, 10 },
	{ "Nawabshah", "NAWABSHAH", "4540", { "NWB" },
	  { "Housing Society", "Sakrand Road", "Masjid Road" }, 8 },
	{ "Mirpur Khas", "MIRPUR KHAS", "4410", { "MPK" },
	  { "Satellite Town", "Umerkot Road", "Nawab Colony" }, 8 },
	{ "Jhelum", "JHELUM", "3730", { "JLM" },
	  { "Civil Lines", "Machine Mohalla", "GT Road" }, 8 },
	{ "Chakwal", "CHAKWAL", "3720", { "CKW" },
	  { "Talagang Road", "Bhaun Road", "Civil Lines" }, 6 },
	{ "Attock", "ATTOCK", "3710", { "ATK" },
	  { "Fateh Jang Road", "Kamra Road", "Hazro Road" }, 6 },
	{ "Swat", "SWAT", "1560", { "SWT" },
	  { "Mingora, Rahimabad", "Saidu Sharif", "Makan Bagh" }, 10 },
	{ "Kohat", "KOHAT", "1430", { "KHT" },
	  { "KDA Township", "Hangu Road", "Cantt" }, 6 },
	{ "Dera Ismail Khan", "DERA ISMAIL KHAN", "1210", { "DIK" },
	  { "Circular Road", "Shoukat Abad", "Cantt" }, 8 },
	{ "Bannu", "BANNU", "1110", { "BNU" },
	  { "Kohat Road", "Township", "Railway Road" }, 5 },
	{ "Mirpur", "MIRPUR", "8130", { "MPR" },
	  { "Sector F-1", "Sector C-4", "Allama Iqbal Road", "Kotli Road" },
	  10 },
	{ "Muzaffarabad", "MUZAFFARABAD", "8220", { "MZD" },
	  { "Upper Chattar", "Gojra", "Domel", "Tariqabad" }, 6 },
	{ "Gilgit", "GILGIT", "7150", { "GLT" },
	  { "Jutial", "Kashrote", "Danyore", "Zulfiqarabad" }, 4 },
	{ "Chitral", "CHITRAL", "1520", { "CTL" },
	  { "Chew Bazar", "Shahi Masjid Road" }, 2 },
	{ "Turbat", "TURBAT", "5220", { "TRB" },
	  { "Main Bazar", "Absar" }, 2 },
};

static const struct mission missions[] = {
	{ "DXB", "Dubai", 14 }, { "LON", "London", 12 }, { "JED", "Jeddah", 12 },
	{ "RUH", "Riyadh", 10 }, { "MAN", "Manchester", 6 },
	{ "BHX", "Birmingham", 6 }, { "AUH", "Abu Dhabi", 6 },
	{ "DOH", "Doha", 5 }, { "KWI", "Kuwait", 4 }, { "MCT", "Muscat", 4 },
	{ "BRD", "Bradford", 3 }, { "BAH", "Bahrain", 3 },
	{ "NYC", "New York", 3 }, { "TOR", "Toronto", 3 },
	{ "GLA", "Glasgow", 2 }, { "WAS", "Washington", 2 },
	{ "HOU", "Houston", 2 }, { "KUL", "Kuala Lumpur", 2 },
	{ "CHI", "Chicago", 1 }, { "SYD", "Sydney", 1 }, { "BER", "Berlin", 1 },
	{ "PAR", "Paris", 1 }, { "MIL", "Milan", 1 }, { "MAD", "Madrid", 1 },
	{ "BCN", "Barcelona", 1 }, { "ATH", "Athens", 1 },
	{ "OSL", "Oslo", 1 }, { "TYO", "Tokyo", 1 }, { "BJS", "Beijing", 1 },
};

/* Countries people renounce Pakistani nationality for: no dual nationality. */
static const struct country renounce_countries[] = {
	{ "GERMANY", "Berlin", "FRANKFURT", 20 },
	{ "NORWAY", "Oslo", "OSLO", 12 },
	{ "NETHERLANDS", "The Hague", "AMSTERDAM", 10 },
	{ "JAPAN", "Tokyo", "TOKYO", 8 },
	{ "CHINA", "Beijing", "BEIJING", 6 },
	{ "SINGAPORE", "Singapore", "SINGAPORE", 5 },
	{ "MALAYSIA", "Kuala Lumpur", "KUALA LUMPUR", 5 },
	{ "DENMARK", "Copenhagen", "COPENHAGEN", 5 },
	{ "AUSTRIA", "Vienna", "VIENNA", 4 },
	{ "SPAIN", "Madrid", "BARCELONA", 4 },
	{ "KOREA", "Seoul", "SEOUL", 3 },
	{ "INDIA", "New Delhi", "DELHI", 3 },
	{ "UK", "London", "BIRMINGHAM", 5 },
	{ "USA", "Washington", "NEW YORK", 4 },
	{ "CANADA", "Ottawa", "TORONTO", 3 },
	{ "UAE", "Dubai", "DUBAI", 3 },
};

static const struct country origin_countries[] = {
	{ "INDIA", "New Delhi", "DELHI", 35 },
	{ "AFGHANISTAN", "Kabul", "KABUL", 15 },
	{ "BANGLADESH", "Dhaka", "DHAKA", 15 },
	{ "BURMA", "Yangon", "RANGOON", 5 },
	{ "IRAN", "Tehran", "MASHHAD", 5 },
	{ "UK", "London", "BRADFORD", 8 },
	{ "USA", "Washington", "CHICAGO", 5 },
	{ "CANADA", "Ottawa", "TORONTO", 4 },
	{ "UAE", "Dubai", "SHARJAH", 4 },
	{ "SRI LANKA", "Colombo", "COLOMBO", 4 },
};

static const struct choice categories[] = {
	{ "normal", 80 }, { "urgent", 15 }, { "fasttrack", 5 },
};

static const struct choice passport_types[] = {
	{ "ordinary", 97 }, { "official", 2 }, { "diplomatic", 1 },
};

static const struct choice nadra_statuses[] = {
	{ "active", 9850 }, { "blocked", 50 }, { "cancelled", 50 },
	{ "deceased", 50 },
};

static const struct choice fcl_nationalities[] = {
	{ "AFG", 60 }, { "IND", 10 }, { "BGD", 8 }, { "GBR", 5 }, { "USA", 5 },
	{ "IRN", 4 }, { "CHN", 3 }, { "NGA", 3 }, { "SOM", 2 },
};

static const struct choice pcl_reasons[] = {
	{ "court order", 20 }, { "FIA request", 18 },
	{ "loan default (bank)", 12 }, { "deportee", 10 },
	{ "human smuggling case", 8 }, { "NAB reference", 8 },
	{ "tax default (FBR)", 5 }, { "proclaimed offender", 5 },
	{ "Ministry of Interior order", 5 }, { "fake documents", 4 },
	{ "criminal case, FIR registered", 3 },
	{ "passport misuse, multiple passports", 3 },
	{ "deported, \"overstay\" (KSA)", 2 }, { "intelligence report", 2 },
};

static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const unsigned short mobile_codes[] = {
	300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313,
	314, 315, 316, 317, 318, 320, 321, 322, 323, 324, 330, 331, 332, 333,
	334, 335, 336, 337, 340, 341, 342, 343, 344, 345, 346, 347, 348, 349,
	355,
};

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(USAGE, stderr);
	exit(EX_USAGE);
}

/* ---- random numbers ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t x)
{
	return mix64(x + GOLDEN);
}

static struct rng rng_salted(uint64_t seed, enum salt salt)
{
	struct rng r = { mix64(seed ^ ((uint64_t)salt * GOLDEN)) };

	return r;
}

static uint64_t rng_next(struct rng *r)
{
	r->state += GOLDEN;
	return mix64(r->state);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static long rng_between(struct rng *r, long lo, long hi)
{
	return lo + (long)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* A four-round Feistel network on two decimal halves is a bijection of
 * [0, half^2): numbers are unique per index yet look unrelated, even for
 * indices 50,000,000 apart. */
static uint64_t scramble(uint64_t value, uint64_t half, uint64_t key)
{
	uint64_t left = value / half, right = value % half, next;

	for (uint64_t round = 0; round < 4; round++) {
		next = (left + mix64(right ^ key ^ (round * GOLDEN)) % half) %
		    half;
		left = right;
		right = next;
	}
	return left * half + right;
}

static int rng_chance(struct rng *r, uint32_t per_10000)
{
	return rng_below(r, 10000) < per_10000;
}

/* The least of three draws: the head of a list comes up far more often
 * than its tail, the way a few names are very common. */
static size_t rng_skewed(struct rng *r, size_t n)
{
	uint32_t a = rng_below(r, (uint32_t)n);
	uint32_t b = rng_below(r, (uint32_t)n);
	uint32_t c = rng_below(r, (uint32_t)n);

	if (b < a)
		a = b;
	return c < a ? c : a;
}

/* Rank i of n with probability 1 / (i + ZIPF_Q) (normalised): the head
 * far more often than the tail, as with names (of the 303 male names the
 * first is drawn about one time in 56, the 300th one time in 900). */
#define ZIPF_Q 20.0

static size_t rng_zipf(struct rng *r, size_t n)
{
	double total = 0, roll;
	size_t i;

	for (i = 0; i < n; i++)
		total += 1.0 / ((double)i + ZIPF_Q);
	roll = total * (rng_below(r, 1u << 30) / (double)(1u << 30));
	for (i = 0; i + 1 < n; i++) {
		roll -= 1.0 / ((double)i + ZIPF_Q);
		if (roll < 0)
			break;
	}
	return i;
}

#define TAIL(r, head, tail) \
	zipf_pick(r, head, NELEM(head), tail, NELEM(tail))

static const char *zipf_pick(struct rng *r, const char *const *head, size_t nh,
    const char *const *tail, size_t nt)
{
	size_t i = rng_zipf(r, nh + nt);

	return i < nh ? head[i] : tail[i - nh];
}

/* Tables differ in shape but all carry an unsigned weight. */
static size_t pick_weighted(struct rng *r, const void *table, size_t n,
    size_t stride, size_t weight_at)
{
	const char *base = table;
	unsigned total = 0, weight, roll;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&weight, base + i * stride + weight_at, sizeof weight);
		total += weight;
	}
	roll = rng_below(r, total);
	for (i = 0; i < n; i++) {
		memcpy(&weight, base + i * stride + weight_at, sizeof weight);
		if (roll < weight)
			return i;
		roll -= weight;
	}
	return n - 1;
}

static const char *pick_choice(struct rng *r, const struct choice *table,
    size_t n)
{
	return table[pick_weighted(r, table, n, sizeof *table,
	    offsetof(struct choice, weight))].text;
}

/* ---- dates (proleptic Gregorian, days since 1970-01-01) ---- */

static int is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static long days_from_civil(struct date d)
{
	long y = d.year - (d.month <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153L * (d.month > 2 ? d.month - 3 : d.month + 9) + 2) / 5
	    + d.day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static struct date civil_from_days(long days)
{
	long z = days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	struct date d;

	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(yoe + era * 400 + (d.month <= 2));
	return d;
}

static long make_day(int year, int month, int day)
{
	struct date d = { year, month, day };

	return days_from_civil(d);
}

/* Same calendar day N years on; 29 February becomes 28 February. */
static long add_years(long day, int years)
{
	struct date d = civil_from_days(day);

	d.year += years;
	if (d.month == 2 && d.day == 29 && !is_leap(d.year))
		d.day = 28;
	return days_from_civil(d);
}

static int age_on(long birth, long on)
{
	struct date b = civil_from_days(birth), o = civil_from_days(on);
	int age = o.year - b.year;

	if (o.month < b.month || (o.month == b.month && o.day < b.day))
		age--;
	return age;
}

static void put_digits(char *dst, uint64_t value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		dst[i] = (char)('0' + value % 10);
		value /= 10;
	}
}

/* parts: 3 = YYYY-MM-DD, 2 = YYYY-MM, 1 = YYYY */
static const char *format_date(char buf[11], long day, int parts)
{
	struct date d = civil_from_days(day);

	put_digits(buf, (uint64_t)d.year, 4);
	buf[4] = '-';
	put_digits(buf + 5, (uint64_t)d.month, 2);
	buf[7] = '-';
	put_digits(buf + 8, (uint64_t)d.day, 2);
	buf[parts == 3 ? 10 : parts == 2 ? 7 : 4] = '\0';
	return buf;
}

static int parse_date(const char *s, long *day)
{
	struct date d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	d.year = atoi(s);
	d.month = atoi(s + 5);
	d.day = atoi(s + 8);
	if (d.month < 1 || d.month > 12 || d.day < 1 ||
	    d.day > days_in_month(d.year, d.month))
		return -1;
	*day = days_from_civil(d);
	return 0;
}

/* ---- text ---- */

static void text_join(char *dst, size_t size, const char *a, const char *b)
{
	int n = snprintf(dst, size, "%s%s%s", a, *a && *b ? " " : "", b);

	if (n < 0 || (size_t)n >= size)
		die(EX_SOFTWARE, "internal error: text longer than %zu", size);
}

static void text_copy(char *dst, size_t size, const char *src)
{
	text_join(dst, size, src, "");
}

static void text_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void text_title(char *s)
{
	int start = 1;

	for (; *s; s++) {
		if (start && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (!start && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
		start = *s == ' ' || *s == '-';
	}
}

/* Replaces the first occurrence; returns whether there was one. */
static int text_replace(char *s, size_t size, const char *from,
    const char *to)
{
	char *at = strstr(s, from);
	size_t from_len = strlen(from), to_len = strlen(to);
	size_t len = strlen(s);

	if (!at)
		return 0;
	if (len - from_len + to_len >= size)
		return 0;
	memmove(at + to_len, at + from_len, len - (size_t)(at - s) - from_len
	    + 1);
	memcpy(at, to, to_len);
	return 1;
}

/* ---- CSV rows ---- */

static void row_raw(struct row *w, const char *s, size_t n)
{
	if (n > ROW_MAX - 1 - w->len)
		die(EX_SOFTWARE, "internal error: row longer than %d", ROW_MAX);
	memcpy(w->text + w->len, s, n);
	w->len += n;
}

static void row_field(struct row *w, const char *s)
{
	const char *quote;

	if (w->fields++ > 0)
		row_raw(w, ",", 1);
	if (!strpbrk(s, ",\"\r\n")) {
		row_raw(w, s, strlen(s));
		return;
	}
	row_raw(w, "\"", 1);
	while ((quote = strchr(s, '"')) != NULL) {
		row_raw(w, s, (size_t)(quote - s) + 1);
		row_raw(w, "\"", 1);
		s = quote + 1;
	}
	row_raw(w, s, strlen(s));
	row_raw(w, "\"", 1);
}

static void row_char(struct row *w, char c)
{
	char buf[2] = { c, '\0' };

	row_field(w, buf);
}

static void row_number(struct row *w, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)value);
	row_field(w, buf);
}

static void row_date(struct row *w, long day, int parts)
{
	char buf[11];

	row_field(w, format_date(buf, day, parts));
}

static void row_join(struct row *w, const char *a, const char *b)
{
	char buf[2 * NAME_LEN];

	text_join(buf, sizeof buf, a, b);
	row_field(w, buf);
}

/* ---- people ---- */

/* A man's given names from two drawn names: MUHAMMAD and the first below
 * mu (of 100), MUHAMMAD alone below alone, both below pair, else the
 * first. The rich and the plain vocabularies differ in the draw and the
 * shares only. */
static void male_shape(struct rng *r, const char *name, const char *second,
    uint32_t mu, uint32_t alone, uint32_t pair, char *dst, size_t size)
{
	uint32_t roll = rng_below(r, 100);

	if (roll < mu)
		text_join(dst, size, "MUHAMMAD", name);
	else if (roll < alone)
		text_copy(dst, size, "MUHAMMAD");
	else if (roll < pair && second != name && !strchr(name, ' '))
		text_join(dst, size, name, second);
	else
		text_copy(dst, size, name);
}

/* A woman's: name BIBI below bibi, NOOR and the name below noor, both
 * names below pair (with a second drawn), else the name. */
static void female_shape(struct rng *r, const char *name, const char *second,
    uint32_t bibi, uint32_t noor, uint32_t pair, char *dst, size_t size)
{
	uint32_t roll = rng_below(r, 100);

	if (roll < bibi)
		text_join(dst, size, name, "BIBI");
	else if (roll < noor && strcmp(name, "NOOR") != 0 && !strchr(name, ' '))
		text_join(dst, size, "NOOR", name);
	else if (second != NULL && roll < pair && second != name && !strchr(name, ' ') &&
	    !strchr(second, ' '))
		text_join(dst, size, name, second);
	else
		text_copy(dst, size, name);
}

/* Each draws its names first, in this order, then the shape: the
 * fixtures stay as they were. */
static void rich_male_given(struct rng *r, char *dst, size_t size)
{
	const char *name = TAIL(r, male_names, male_tail);
	const char *second = TAIL(r, male_names, male_tail);

	male_shape(r, name, second, 33, 35, 47, dst, size);
}

static void rich_female_given(struct rng *r, char *dst, size_t size)
{
	const char *name = TAIL(r, female_names, female_tail);
	const char *second = TAIL(r, female_names, female_tail);

	female_shape(r, name, second, 5, 9, 17, dst, size);
}

static void male_given(struct rng *r, char *dst, size_t size)
{
	const char *name = male_names[rng_skewed(r, NELEM(male_names))];
	const char *second = male_names[rng_skewed(r, NELEM(male_names))];

	male_shape(r, name, second, 35, 38, 46, dst, size);
}

static void female_given(struct rng *r, char *dst, size_t size)
{
	female_shape(r, female_names[rng_skewed(r, NELEM(female_names))], NULL, 6, 10, 0,
	    dst, size);
}

static char draw_sex(struct rng *r)
{
	uint32_t roll = rng_below(r, 10000);

	if (roll < 10)
		return 'X';
	return roll % 2 ? 'M' : 'F';
}

/* Fathers belong to an older generation with names of their own. */
static void draw_father(struct rng *r, struct person *p)
{
	char given[NAME_LEN];

	if (rich_names) {
		if (rng_chance(r, 4000))
			text_copy(given, sizeof given, TAIL(r, elder_names, elder_tail));
		else
			rich_male_given(r, given, sizeof given);
		text_join(p->father, sizeof p->father, given, p->surname);
		return;
	}
	if (rng_chance(r, 5000))
		text_copy(given, sizeof given,
		    elder_names[rng_skewed(r, NELEM(elder_names))]);
	else
		male_given(r, given, sizeof given);
	text_join(p->father, sizeof p->father, given, p->surname);
}

static void draw_names(struct rng *r, struct person *p)
{
	int male = p->sex == 'M' || (p->sex == 'X' && rng_chance(r, 5000));

	if (rich_names) {
		if (male)
			rich_male_given(r, p->given, sizeof p->given);
		else
			rich_female_given(r, p->given, sizeof p->given);
		if (rng_chance(r, 300))
			p->surname[0] = '\0';
		else
			text_copy(p->surname, sizeof p->surname, TAIL(r, surnames, surname_tail));
		draw_father(r, p);
		return;
	}
	if (male)
		male_given(r, p->given, sizeof p->given);
	else
		female_given(r, p->given, sizeof p->given);
	if (rng_chance(r, 300))
		p->surname[0] = '\0';
	else
		text_copy(p->surname, sizeof p->surname,
		    surnames[rng_skewed(r, NELEM(surnames))]);
	draw_father(r, p);
}

/* Most people alive and applying were born 1960-2005; the rest spread
 * over the whole 1940-2019 range. */
static long draw_dob(struct rng *r)
{
	if (rng_chance(r, 7000))
		return rng_between(r, make_day(1960, 1, 1),
		    make_day(2005, 12, 31));
	return rng_between(r, make_day(1940, 1, 1), make_day(2019, 12, 31));
}

static char parity_digit(struct rng *r, char sex)
{
	uint32_t digit = rng_below(r, 5) * 2;

	if (sex == 'M')
		digit++;
	else if (sex == 'X')
		digit = rng_below(r, 10);
	return (char)('0' + digit);
}

/* The district keeps its first four digits; the fifth and the middle
 * seven encode the index, so uniqueness never depends on the district.
 * Beyond PERSON_LIMIT, each block of PERSON_LIMIT people has a district
 * 70B0 that no city has, B the block. */
static void make_cnic(const struct config *cfg, struct rng *r,
    struct person *p)
{
	uint64_t block = p->index / PERSON_LIMIT;
	uint64_t body = scramble(p->index % PERSON_LIMIT, 10000, cfg->cnic_key);

	memcpy(p->cnic, p->home->district, 4);
	if (block > 0) {
		p->cnic[0] = '7';
		p->cnic[1] = '0';
		p->cnic[2] = (char)('0' + block);
		p->cnic[3] = '0';
	}
	put_digits(p->cnic + 4, body, 8);
	p->cnic[12] = parity_digit(r, p->sex);
	p->cnic[13] = '\0';
}

static void make_person(const struct config *cfg, uint64_t index,
    struct person *p)
{
	struct rng r = { splitmix64(cfg->seed * PERSON_MULT + index) };

	p->index = index;
	p->seed = r.state;
	p->sex = draw_sex(&r);
	draw_names(&r, p);
	p->dob = draw_dob(&r);
	p->birth = PICK(&r, cities, struct city);
	p->home = rng_chance(&r, 7000) ? p->birth :
	    PICK(&r, cities, struct city);
	make_cnic(cfg, &r, p);
}

static const char *format_cnic(char buf[16], const char *cnic, int dashed)
{
	if (!dashed)
		return cnic;
	memcpy(buf, cnic, 5);
	buf[5] = '-';
	memcpy(buf + 6, cnic + 5, 7);
	buf[13] = '-';
	buf[14] = cnic[12];
	buf[15] = '\0';
	return buf;
}

static const char *passport_number(const struct config *cfg,
    const struct person *p, char buf[10])
{
	static const char first[] = "ABCDEFGHKL";
	uint64_t v = scramble(p->index, 10000, cfg->passport_key);

	buf[0] = first[v / 10000000];
	buf[1] = (char)('A' + mix64(p->seed ^ SALT_PASSPORT) % 26);
	put_digits(buf + 2, v % 10000000, 7);
	buf[9] = '\0';
	return buf;
}

static const char *make_phone(const struct person *p, int international,
    char *buf, size_t size)
{
	struct rng r = rng_salted(p->seed, SALT_PHONE);
	unsigned code = mobile_codes[rng_below(&r, NELEM(mobile_codes))];
	uint32_t number = rng_below(&r, 10000000);

	snprintf(buf, size, "%s%u%07u", international ? "+92" : "0", code,
	    (unsigned)number);
	return buf;
}

static size_t area_count(const struct city *c)
{
	size_t n = 0;

	while (n < NELEM(c->areas) && c->areas[n])
		n++;
	return n;
}

static const char *make_address(const struct person *p, char *buf,
    size_t size)
{
	struct rng r = rng_salted(p->seed, SALT_ADDRESS);
	const struct city *c = p->home;
	const char *area = c->areas[rng_below(&r, (uint32_t)area_count(c))];
	unsigned house = 1 + rng_below(&r, 899), street = 1 + rng_below(&r, 40);
	char block = (char)('A' + rng_below(&r, 8));

	switch (rng_below(&r, 4)) {
	case 0:
		snprintf(buf, size, "House No. %u, Street %u, %s, %s", house,
		    street, area, c->name);
		break;
	case 1:
		snprintf(buf, size, "H. No. %u-%c, Block %c, %s, %s", house,
		    block, block, area, c->name);
		break;
	case 2:
		snprintf(buf, size, "Flat %u, Block %c, %s, %s", street, block,
		    area, c->name);
		break;
	default:
		snprintf(buf, size, "Plot %u, %s, %s", house, area, c->name);
	}
	return buf;
}

static void make_photo(const struct config *cfg, uint64_t index,
    char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = splitmix64(cfg->photo_key + index * 4);

	for (int i = 0; i < 4; i++) {
		uint64_t v = splitmix64(h + (uint64_t)i);

		for (int j = 0; j < 16; j++)
			out[i * 16 + j] = hex[(v >> (60 - 4 * j)) & 15];
	}
	out[64] = '\0';
	/* The hash of an empty file means no photo: never emit it. */
	if (strcmp(out, EMPTY_SHA256) == 0)
		out[0] = 'f';
}

/* ---- applications ---- */

/* The fee of the schedule's current rows (the fees kind). */
static unsigned fee_of(const char *category, int pages, int validity)
{
	unsigned base = 4500u * (pages == 36 ? 2 : pages == 72 ? 4 : 6)
	    * (validity == 10 ? 3 : 2) / 4;
	unsigned times = 3;

	if (strcmp(category, "urgent") == 0)
		times = 5;
	else if (strcmp(category, "fasttrack") == 0)
		times = 8;
	return base * times / 3;
}

static unsigned fee_for(const struct application *a)
{
	return fee_of(a->category, a->pages, a->validity);
}

static void choose_office(struct rng *r, const struct person *p,
    struct application *a)
{
	const struct city *home = p->home;
	size_t n = home->offices[2] ? 3 : home->offices[1] ? 2 : 1;

	if (rng_chance(r, 1000)) {
		a->office = PICK(r, missions, struct mission)->code;
		a->delivery_office = a->office;
		a->delivery_mode = "mission";
		return;
	}
	a->office = home->offices[rng_below(r, (uint32_t)n)];
	a->delivery_office = rng_chance(r, 9500) ? a->office :
	    p->birth->offices[0];
	a->delivery_mode = rng_chance(r, 6500) ? "counter" : "courier";
}

static int choose_dob_parts(struct rng *r)
{
	uint32_t roll = rng_below(r, 10000);

	return roll < 100 ? 2 : roll < 200 ? 1 : 3;
}

static int choose_pages(struct rng *r)
{
	uint32_t roll = rng_below(r, 100);

	return roll < 85 ? 36 : roll < 97 ? 72 : 100;
}

static void decide_application(const struct config *cfg,
    const struct person *p, struct application *a)
{
	struct rng r = rng_salted(p->seed, SALT_APPLICATION);

	choose_office(&r, p, a);
	a->category = pick_choice(&r, categories, NELEM(categories));
	a->passport_type = pick_choice(&r, passport_types,
	    NELEM(passport_types));
	a->applied_on = rng_between(&r, cfg->batch_day - 9 > p->dob ?
	    cfg->batch_day - 9 : p->dob, cfg->batch_day);
	a->validity = age_on(p->dob, a->applied_on) >= 18 &&
	    rng_chance(&r, 6000) ? 10 : 5;
	a->pages = choose_pages(&r);
	a->dob_parts = choose_dob_parts(&r);
	a->dashed_cnic = rng_chance(&r, 3000);
	a->has_previous = rng_chance(&r, 4000);
	a->has_address = strcmp(a->delivery_mode, "courier") == 0 ||
	    rng_chance(&r, 4000);
	a->international_phone = rng_chance(&r, 2500);
	a->variant = rng_chance(&r, 200) ? 1 + (int)rng_below(&r, 5) : 0;
}

/* Names without a known variant spelling are typed in title case. */
static void respell(char *s, size_t size)
{
	for (size_t i = 0; i < NELEM(respellings); i++)
		if (text_replace(s, size, respellings[i][0], respellings[i][1]))
			return;
	text_title(s);
}

/* How operators actually type names: case, spacing and punctuation vary,
 * the letters do not. */
static void vary_names(int variant, struct names *n)
{
	switch (variant) {
	case 1:
		text_title(n->surname);
		text_title(n->given);
		text_title(n->father);
		break;
	case 2:
		text_lower(n->given);
		text_lower(n->surname);
		break;
	case 3:
		if (!text_replace(n->given, sizeof n->given, " ", "  "))
			text_replace(n->father, sizeof n->father, " ", "  ");
		break;
	case 4:
		respell(n->given, sizeof n->given);
		break;
	case 5:
		respell(n->father, sizeof n->father);
		text_title(n->given);
		break;
	}
}

static void write_application_person(const struct person *p,
    const struct application *a, struct row *w)
{
	struct names n;
	char dob[11], cnic[16];

	text_copy(n.surname, sizeof n.surname, p->surname);
	text_copy(n.given, sizeof n.given, p->given);
	text_copy(n.father, sizeof n.father, p->father);
	vary_names(a->variant, &n);
	row_field(w, n.surname);
	row_field(w, n.given);
	row_field(w, n.father);
	row_char(w, p->sex);
	row_field(w, format_date(dob, p->dob, a->dob_parts));
	row_field(w, p->birth->upper);
	row_field(w, format_cnic(cnic, p->cnic, a->dashed_cnic));
}

/* How a row differs from the usual one for its person. */
struct row_choice {
	const char *id;               /* NULL: the usual tracking id */
	const char *previous;         /* the passport renewed, NULL: decided as usual */
	int variant;                  /* how names are typed, -1: decided as usual */
	uint64_t photo_k;             /* the photo of that row */
	int full_dob;                 /* the whole date of birth given */
};

/* Row k for person p, as chosen in c. */
static void write_application_row(const struct config *cfg, uint64_t k,
    const struct person *pp, const struct row_choice *c, struct row *w)
{
	const char *id = c->id, *previous = c->previous;
	int variant = c->variant;
	struct person p = *pp;
	struct application a;
	char buf[TEXT_LEN], passport[10], photo[65];

	decide_application(cfg, &p, &a);
	if (variant >= 0)
		a.variant = variant;
	if (c->full_dob)
		a.dob_parts = 3;
	if (id == NULL)
		snprintf(buf, sizeof buf, "%s-%04d-%07llu", a.office,
		    civil_from_days(a.applied_on).year, (unsigned long long)k);
	row_field(w, id ? id : buf);
	row_field(w, a.office);
	row_field(w, a.category);
	row_field(w, a.passport_type);
	write_application_person(&p, &a, w);
	row_field(w, "PAK");
	row_number(w, (uint64_t)a.validity);
	row_number(w, (uint64_t)a.pages);
	if (previous != NULL)
		row_field(w, previous);
	else
		row_field(w, a.has_previous ? passport_number(cfg, &p, passport) : "");
	row_field(w, a.delivery_office);
	row_field(w, a.delivery_mode);
	row_field(w, a.has_address ? make_address(&p, buf, sizeof buf) : "");
	row_field(w, make_phone(&p, a.international_phone, buf, sizeof buf));
	make_photo(cfg, c->photo_k, photo);
	row_field(w, photo);
	put_digits(buf, scramble(k, 1000000, cfg->receipt_key), 12);
	buf[12] = '\0';
	row_field(w, buf);
	row_number(w, fee_for(&a));
	row_date(w, a.applied_on, 3);
}

static void write_application(const struct config *cfg, uint64_t k,
    struct row *w)
{
	struct person p;

	make_person(cfg, k, &p);
	write_application_row(cfg, k, &p, &(struct row_choice){ NULL, NULL, -1, k, 0 }, w);
}

/* ---- fee schedule and payments ---- */

/*
 * The schedule: for each of the 18 choices of an ordinary passport an old
 * row (4/5 of today's fee, until FEE_CHANGE + 1 days before the batch day)
 * and a current one (from FEE_CHANGE days before, no end), except that
 * fasttrack, 100 pages, 5 years has no current row: its applications are
 * FEE_SCHEDULE_GAP. Rows in the order of the choices, old before current.
 */
#define FEE_CHANGE 30
#define FEE_ROWS 35

static const char *const fee_categories[] = { "normal", "urgent", "fasttrack" };
static const int fee_pages[] = { 36, 72, 100 };

static void write_fees(const struct config *cfg, uint64_t k, struct row *w)
{
	uint64_t choice = k / 2;
	int current = k % 2 == 1;
	const char *category = fee_categories[choice / 6];
	int pages = fee_pages[choice / 2 % 3], validity = choice % 2 ? 5 : 10;
	unsigned fee = fee_of(category, pages, validity);

	row_field(w, "ordinary");
	row_field(w, category);
	row_number(w, (uint64_t)pages);
	row_number(w, (uint64_t)validity);
	if (current) {
		row_number(w, fee);
		row_date(w, cfg->batch_day - FEE_CHANGE, 3);
		row_field(w, "");
	} else {
		row_number(w, fee * 4 / 5 / 50 * 50);
		row_date(w, cfg->batch_day - 730, 3);
		row_date(w, cfg->batch_day - FEE_CHANGE - 1, 3);
	}
}

static int fee_gap(const struct application *a)
{
	return strcmp(a->category, "fasttrack") == 0 && a->pages == 100 &&
	    a->validity == 5;
}

static const char *const pay_channels[] = {
	"HBL branch", "NBP branch", "UBL branch", "1LINK app", "JazzCash",
	"Easypaisa",
};

enum { PAY_OK, PAY_NOT_PAID, PAY_REVERSED, PAY_SHORT };

static const struct {
	const char *code, *kind;
} pay_plants[] = {
	{ "FEE_OK", "paid" },
	{ "FEE_NOT_PAID", "not_in_export" },
	{ "FEE_REVERSED", "reversed" },
	{ "FEE_AMOUNT_WRONG", "paid_short" },
};

/*
 * Payment k: the bank's row for application k's receipt, paid its fee on
 * the day it applied or up to two days before. Planted, 1 % each: the
 * application's receipt missing (the row is another receipt, which no
 * application gives), the payment reversed, Rs. 1000 short. --truth names
 * every application verify-fee should not pass: these, the official and
 * diplomatic ones (their fixtures give a fee: FEE_AMOUNT_WRONG), and those
 * of the schedule's gap.
 */
static void write_payments(const struct config *cfg, uint64_t k, struct row *w)
{
	struct person p;
	struct application a;
	struct rng r;
	char buf[TEXT_LEN], receipt[13];
	unsigned fee, plant;
	const char *code;

	make_person(cfg, k, &p);
	decide_application(cfg, &p, &a);
	r = rng_salted(p.seed, SALT_PAYMENT);
	plant = rng_below(&r, 100);
	plant = plant < 3 ? plant + 1 : PAY_OK;
	fee = fee_for(&a);
	put_digits(receipt, scramble(plant == PAY_NOT_PAID ? PERSON_LIMIT + k : k,
	    1000000, cfg->receipt_key), 12);
	receipt[12] = '\0';
	row_field(w, receipt);
	row_number(w, plant == PAY_SHORT ? fee - 1000 : fee);
	row_date(w, a.applied_on - (long)rng_below(&r, 3), 3);
	snprintf(buf, sizeof buf, "%s", pay_channels[rng_below(&r,
	    (uint32_t)NELEM(pay_channels))]);
	if (strstr(buf, "branch") != NULL)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %04u",
		    1 + rng_below(&r, 1500));
	row_field(w, buf);
	row_field(w, plant == PAY_REVERSED ? "reversed" : "paid");
	if (truth == NULL)
		return;
	code = pay_plants[plant].code;
	if (strcmp(a.passport_type, "ordinary") != 0)
		code = "FEE_AMOUNT_WRONG";
	else if (plant == PAY_OK && fee_gap(&a))
		code = "FEE_SCHEDULE_GAP";
	if (strcmp(code, "FEE_OK") == 0)
		return;
	put_digits(receipt, scramble(k, 1000000, cfg->receipt_key), 12);
	fprintf(truth, "%s-%04d-%07llu,%s,%s,%s\n", a.office,
	    civil_from_days(a.applied_on).year, (unsigned long long)k, code,
	    receipt, strcmp(a.passport_type, "ordinary") != 0 ? "gratis" :
	    plant == PAY_OK ? "schedule_gap" : pay_plants[plant].kind);
}

/* ---- NADRA extract ---- */

static void write_nadra(const struct config *cfg, uint64_t k, struct row *w)
{
	struct person p;
	struct rng r;

	make_person(cfg, k, &p);
	r = rng_salted(p.seed, SALT_NADRA);
	row_field(w, p.cnic);
	row_join(w, p.given, p.surname);
	row_field(w, p.father);
	row_date(w, p.dob, 3);
	row_char(w, p.sex);
	row_field(w, pick_choice(&r, nadra_statuses, NELEM(nadra_statuses)));
}

/* ---- control lists ---- */

/* One entry of the control list, decided before it is written, so that
 * the screening kind can plant applicants that match it. */
struct pcl_entry {
	struct person p;
	char id[24];
	int foreign;
	char category;
	int has_cnic, has_father, dob_parts, has_passport;
	const char *reason;
	long placed, removed;         /* removed 0: still active */
};

/* Lists were kept from 2000 and mostly name adults. */
static long placed_after(const struct person *p, long today)
{
	long first = make_day(2000, 1, 1);
	long adult = add_years(p->dob, 18);

	if (adult <= today)
		return adult > first ? adult : first;
	return p->dob >= first ? p->dob + 1 : first;
}

static void pcl_entry(const struct config *cfg, uint64_t k, struct pcl_entry *e)
{
	struct rng r;
	uint32_t roll;

	make_person(cfg, PCL_BASE + k, &e->p);
	r = rng_salted(e->p.seed, SALT_PCL);
	e->foreign = rng_chance(&r, 1500);
	snprintf(e->id, sizeof e->id, "%s-%07llu", e->foreign ? "FCL" : "PCL",
	    (unsigned long long)k + 1);
	e->category = rng_chance(&r, 6500) ? 'A' : 'B';
	e->has_cnic = !rng_chance(&r, e->foreign ? 8500 : 900);
	e->has_father = !rng_chance(&r, 1500);
	roll = rng_below(&r, 100);
	e->dob_parts = roll < 70 ? 3 : roll < 90 ? 1 : 0;
	e->has_passport = !rng_chance(&r, 5000);
	e->reason = pick_choice(&r, pcl_reasons, NELEM(pcl_reasons));
	e->placed = rng_between(&r, placed_after(&e->p, cfg->batch_day),
	    cfg->batch_day);
	e->removed = rng_chance(&r, 1000) && e->placed < cfg->batch_day ?
	    rng_between(&r, e->placed + 1, cfg->batch_day) : 0;
}

static void write_pcl(const struct config *cfg, uint64_t k, struct row *w)
{
	struct pcl_entry e;
	struct rng r;
	char passport[10];

	pcl_entry(cfg, k, &e);
	r = rng_salted(e.p.seed ^ 0x5a5a, SALT_PCL);
	row_field(w, e.id);
	row_field(w, e.foreign ? "FCL" : "PCL");
	row_char(w, e.category);
	row_field(w, e.has_cnic ? e.p.cnic : "");
	row_join(w, e.p.given, e.p.surname);
	row_field(w, e.has_father ? e.p.father : "");
	if (e.dob_parts)
		row_date(w, e.p.dob, e.dob_parts);
	else
		row_field(w, "");
	row_field(w, e.foreign ? pick_choice(&r, fcl_nationalities,
	    NELEM(fcl_nationalities)) : "PAK");
	row_field(w, e.has_passport ? passport_number(cfg, &e.p, passport) : "");
	row_field(w, e.reason);
	row_date(w, e.placed, 3);
	if (e.removed)
		row_date(w, e.removed, 3);
	else
		row_field(w, "");
}

/* ---- screening: a batch with planted list hits, and its truth ---- */

/*
 * Most rows are ordinary applicants (person k, as in applications). Some
 * are people on the control list applying again under another CNIC and a
 * varied name (planted hits, expected held), some people on removed
 * entries (expected clear), some namesakes of listed people with their own
 * father and date of birth (expected clear). --truth names them all.
 */
enum plant { PLANT_NONE, PLANT_HIT, PLANT_REMOVED, PLANT_NAMESAKE };

static const char *const variations[] = {
	"cnic", "passport", "exact", "spelling", "honorific", "order", "dropped",
	"typo", "father",
};

/* Spellings the names module must see through (lib/names.txt). */
static const char *const spellings[][2] = {
	{ "MUHAMMAD", "MOHAMMAD" }, { "HUSSAIN", "HUSAIN" }, { "AHMED", "AHMAD" },
	{ "REHMAN", "RAHMAN" }, { "USMAN", "OSMAN" }, { "UMAR", "UMER" },
	{ "YOUSAF", "YOUSUF" }, { "FAISAL", "FAYSAL" }, { "JAVED", "JAVAID" },
	{ "TARIQ", "TARIK" }, { "MAHMOOD", "MEHMOOD" }, { "AYESHA", "AISHA" },
	{ "FATIMA", "FATIMAH" }, { "ZAINAB", "ZAINEB" }, { "MARIAM", "MARYAM" },
	{ "QURESHI", "QURAISHI" }, { "SIDDIQUI", "SIDDIQI" }, { "ABDULLAH", "ABDULLA" },
	{ "HASSAN", "HASAN" }, { "ALI", "ALY" }, { "IMRAN", "IMRAAN" }, { "KHAN", "KHAAN" },
	{ "ZUBAIR", "ZOBAIR" }, { "NASIR", "NASSER" }, { "NAVEED", "NAVID" },
	{ "SAEED", "SAEID" }, { "SULEMAN", "SULAIMAN" }, { "YAQOOB", "YAQUB" },
	{ "IBRAHIM", "EBRAHIM" }, { "ISMAIL", "ISMAEEL" }, { "ISHAQ", "ISHAK" },
	{ "MURTAZA", "MURTUZA" }, { "MASOOD", "MASUD" }, { "KHALID", "KHALED" },
	{ "IQBAL", "IKBAL" }, { "GHULAM", "GULAM" }, { "QADIR", "KADIR" },
	{ "SALMAN", "SULMAN" }, { "KHADIJA", "KHADEEJA" }, { "NOOR", "NUR" },
	{ "NASREEN", "NASRIN" }, { "PARVEEN", "PERVEEN" }, { "RUKHSANA", "RUKSANA" },
	{ "SHAZIA", "SHAZIYA" }, { "ASLAM", "ASLAAM" }, { "AKRAM", "AKRAAM" },
	{ "IRFAN", "IRFAAN" }, { "KAMRAN", "KAMRAAN" }, { "WAQAS", "WAQQAS" },
	{ "ASIF", "AASIF" }, { "RASHID", "RASHEED" }, { "ABDULLAH", "ABDALLAH" },
	{ "CHAUDHRY", "CHAUDHARY" }, { "SYED", "SAYYED" }, { "SHEIKH", "SHAIKH" },
	{ "ULLAH", "ULLA" }, { "ELAHI", "ILAHI" }, { "CHISHTI", "CHISTI" },
	{ "ABDUL", "ABDAL" }, { "REHMAT", "RAHMAT" }, { "MUSTAFA", "MOSTAFA" },
};

/* Replaces the first whole word from; returns whether there was one. */
static int word_replace(char *s, size_t size, const char *from, const char *to)
{
	size_t n = strlen(from), len = strlen(s), m = strlen(to);
	char *at;

	for (at = strstr(s, from); at != NULL; at = strstr(at + 1, from))
		if ((at == s || at[-1] == ' ') && (at[n] == '\0' || at[n] == ' '))
			break;
	if (at == NULL || len - n + m >= size)
		return 0;
	memmove(at + m, at + n, len - (size_t)(at - s) - n + 1);
	memcpy(at, to, m);
	return 1;
}


static void write_truth(const char *id, int hold, const char *entry, const char *kind)
{
	if (truth != NULL)
		fprintf(truth, "%s,%s,%s,%s\n", id, hold ? "hold" : "clear", entry, kind);
}

static enum plant plant_of(const struct config *cfg, uint64_t i)
{
	struct rng r = rng_salted(splitmix64(cfg->seed ^ (i * GOLDEN)), SALT_PCL);
	uint32_t roll = rng_below(&r, 10000);

	return roll < 120 ? PLANT_HIT : roll < 140 ? PLANT_REMOVED :
	    roll < 190 ? PLANT_NAMESAKE : PLANT_NONE;
}

/* The first entry from a place decided by i that has what the plant needs. */
static void find_entry(const struct config *cfg, uint64_t i, enum plant kind,
    const char *variation, struct pcl_entry *e)
{
	uint64_t k = scramble(i, 1000, cfg->cnic_key) % cfg->list_size, n;

	for (n = 0; n < cfg->list_size; n++, k = (k + 1) % cfg->list_size) {
		pcl_entry(cfg, k, e);
		if ((kind == PLANT_REMOVED) != (e->removed != 0))
			continue;
		if (kind == PLANT_REMOVED && !e->has_cnic)
			continue;
		if (kind == PLANT_NAMESAKE && !e->has_father && !e->dob_parts)
			continue;
		if (strcmp(variation, "cnic") == 0 && !e->has_cnic)
			continue;
		if (strcmp(variation, "passport") == 0 && !e->has_passport)
			continue;
		return;
	}
	die(EX_USAGE, "no control list entry fits; use a larger --list-size");
}

/* The kinds other than pcl and screening keep the first spellings and
 * replace them anywhere in a word, so that their data stay as they were. */
#define FIRST_SPELLINGS 22

static int respell_word(char *s, size_t size)
{
	size_t n = rich_names ? NELEM(spellings) : FIRST_SPELLINGS;

	for (size_t i = 0; i < n; i++)
		if (rich_names ? word_replace(s, size, spellings[i][0], spellings[i][1]) :
		    text_replace(s, size, spellings[i][0], spellings[i][1]))
			return 1;
	return 0;
}

/* One letter of the longest word changed, never the first. */
static void typo(char *s, struct rng *r)
{
	char *w = s, *best = NULL;
	size_t n, bestn = 0;

	for (; *w != '\0'; w += n) {
		w += strspn(w, " ");
		n = strcspn(w, " ");
		if (n > bestn)
			best = w, bestn = n;
	}
	if (best != NULL && bestn >= 5) {
		size_t at = 2 + rng_below(r, (uint32_t)(bestn - 2));
		best[at] = best[at] == 'E' ? 'A' : 'E';
	}
}

/* Whether w (up to a space) is one of the words that join names into one:
 * 1 joins the words either side (ALAM UD DIN, UMM E KULSOOM), 2 ends a
 * name it joins to the word before (SAIF ULLAH). */
static int particle(const char *w)
{
	static const char *const both[] = { "UD", "UL", "UR", "E", "UN" };
	static const char *const end[] = { "ULLAH" };
	size_t n = strcspn(w, " ");

	for (size_t i = 0; i < NELEM(both); i++)
		if (strlen(both[i]) == n && strncmp(w, both[i], n) == 0)
			return 1;
	for (size_t i = 0; i < NELEM(end); i++)
		if (strlen(end[i]) == n && strncmp(w, end[i], n) == 0)
			return 2;
	return 0;
}

/* The first name of the given names left out, a name joined by particles
 * (ALAM UD DIN) as one: never half of it. */
static void drop_word(char *given)
{
	char *sp = strchr(given, ' ');
	int p;

	while (rich_names && sp != NULL && (p = particle(sp + 1)) != 0) {
		sp = strchr(sp + 1, ' ');             /* past the particle */
		if (p == 1 && sp != NULL)
			sp = strchr(sp + 1, ' ');     /* and the word it joins */
	}
	if (sp != NULL)
		memmove(given, sp + 1, strlen(sp + 1) + 1);
}

static void vary(struct person *q, const char *variation, struct rng *r)
{
	char buf[2 * NAME_LEN];

	if (strcmp(variation, "spelling") == 0) {
		if (!respell_word(q->given, sizeof q->given) &&
		    !respell_word(q->surname, sizeof q->surname) && rich_names)
			respell_word(q->father, sizeof q->father);
	} else if (strcmp(variation, "honorific") == 0) {
		snprintf(buf, sizeof buf, "%s %s", rng_chance(r, 5000) ? "SYED" : "MALIK", q->given);
		text_copy(q->given, sizeof q->given, buf);
	} else if (strcmp(variation, "order") == 0) {
		text_copy(buf, sizeof buf, q->surname);
		text_copy(q->surname, sizeof q->surname, q->given);
		text_copy(q->given, sizeof q->given, buf[0] ? buf : q->surname);
		if (!buf[0])
			q->surname[0] = '\0';
	} else if (strcmp(variation, "dropped") == 0) {
		drop_word(q->given);
	} else if (strcmp(variation, "typo") == 0) {
		typo(q->given, r);
	} else if (strcmp(variation, "father") == 0) {
		if (!respell_word(q->father, sizeof q->father))
			typo(q->father, r);
	}
}

/* A CNIC nobody else has, with the right parity for q's sex. */
static void other_cnic(const struct config *cfg, uint64_t i, struct person *q)
{
	struct rng r = rng_salted(q->seed, SALT_CNIC);

	q->index = 60000000ULL + i;
	make_cnic(cfg, &r, q);
}

static void write_screening(const struct config *cfg, uint64_t i, struct row *w)
{
	enum plant kind = plant_of(cfg, i);
	const char *variation = variations[i % NELEM(variations)];
	struct pcl_entry e;
	struct person own;
	struct rng r;
	char id[32], passport[10];

	if (kind == PLANT_NONE) {
		write_application(cfg, i, w);
		return;
	}
	if (kind == PLANT_REMOVED)
		variation = "cnic";
	if (kind == PLANT_NAMESAKE)
		variation = "exact";
	find_entry(cfg, i, kind, variation, &e);
	r = rng_salted(e.p.seed ^ i, SALT_APPLICATION);
	if (kind == PLANT_NAMESAKE) {                 /* the name only */
		make_person(cfg, i, &own);
		text_copy(e.p.father, sizeof e.p.father, own.father);
		e.p.dob = own.dob;
		e.p.home = own.home;                  /* and a CNIC of its own area */
	}
	passport_number(cfg, &e.p, passport);      /* the list's, before the CNIC changes */
	if (strcmp(variation, "cnic") != 0)
		other_cnic(cfg, i, &e.p);
	vary(&e.p, variation, &r);
	snprintf(id, sizeof id, "SCR-%07llu", (unsigned long long)i);
	write_truth(id, kind == PLANT_HIT, e.id, kind == PLANT_HIT ? variation :
	    kind == PLANT_REMOVED ? "removed" : "namesake");
	write_application_row(cfg, i, &e.p, &(struct row_choice){ id,
	    strcmp(variation, "passport") == 0 ? passport : "", 0, i, 0 }, w);
}

/* ---- issued passports ---- */

static const char *history_status(struct rng *r, long expires, long today)
{
	uint32_t roll = rng_below(r, 100);

	if (roll < 2)
		return "lost";
	if (roll < 3)
		return "cancelled";
	return expires >= today ? "valid" : "expired";
}

/* Person k's passport in the history, decided before it is written, so that
 * the dedup kind can plant applicants who hold one. */
struct passport_entry {
	struct person p;
	char number[10];
	long issued, expires;
	const char *status;
};

static void history_entry(const struct config *cfg, uint64_t k,
    struct passport_entry *h)
{
	struct rng r;
	long first;
	int years;

	make_person(cfg, k, &h->p);
	r = rng_salted(h->p.seed, SALT_HISTORY);
	first = make_day(2008, 1, 1);
	h->issued = rng_between(&r, h->p.dob > first ? h->p.dob : first,
	    cfg->batch_day);
	years = age_on(h->p.dob, h->issued) >= 18 && rng_chance(&r, 6000) ? 10 : 5;
	h->expires = add_years(h->issued, years);
	passport_number(cfg, &h->p, h->number);
	h->status = history_status(&r, h->expires, cfg->batch_day);
}

static void write_history(const struct config *cfg, uint64_t k,
    struct row *w)
{
	struct passport_entry h;

	history_entry(cfg, k, &h);
	row_field(w, h.number);
	row_field(w, h.p.cnic);
	row_field(w, h.p.surname);
	row_field(w, h.p.given);
	row_field(w, h.p.father);
	row_date(w, h.p.dob, 3);
	row_char(w, h.p.sex);
	row_date(w, h.issued, 3);
	row_date(w, h.expires, 3);
	row_field(w, h.status);
}

/* ---- dedup: a batch with planted duplicates, and its truth ---- */

/*
 * Rows come in pairs 2j, 2j+1. Most pairs are two ordinary applicants (the
 * people of index DEDUP_BASE + row, who hold no passport). A planted pair
 * is one of: the same person twice (same CNIC; another CNIC and the name
 * respelled; another face under another CNIC with the first's photo); two
 * people who are not duplicates (twins, brothers and sisters, namesakes
 * with another father or date of birth); or a person of the history (the
 * history kind with --history-size rows) applying again: holding a valid
 * passport, renewing it, under another CNIC, or after the passport was
 * cancelled, lost or has expired. --truth names every planted record with
 * the step code it must get and the other party.
 */
#define DEDUP_BASE 70000000ULL
#define DEDUP_OTHER_CNIC 80000000ULL

enum dedup_plant {
	DP_NONE, DP_SAME_CNIC, DP_SAME_PHOTO, DP_RESPELLED, DP_CNIC_TYPO, DP_TWINS,
	DP_SIBLINGS, DP_NAMESAKE_FATHER, DP_NAMESAKE_DOB, DP_VALID, DP_RENEWAL,
	DP_OTHER_IDENTITY, DP_CANCELLED, DP_LOST, DP_EXPIRED,
};

static const struct {
	const char *name;
	unsigned weight;                /* per 10,000 pairs */
} dedup_plants[] = {
	[DP_NONE] = { "none", 0 }, [DP_SAME_CNIC] = { "same_cnic", 120 },
	[DP_SAME_PHOTO] = { "same_photo", 80 }, [DP_RESPELLED] = { "respelled", 300 },
	[DP_CNIC_TYPO] = { "cnic_typo", 80 }, [DP_TWINS] = { "twins", 150 },
	[DP_SIBLINGS] = { "siblings", 80 }, [DP_NAMESAKE_FATHER] = { "namesake_father", 100 },
	[DP_NAMESAKE_DOB] = { "namesake_dob", 100 }, [DP_VALID] = { "valid_passport", 150 },
	[DP_RENEWAL] = { "renewal", 150 }, [DP_OTHER_IDENTITY] = { "other_identity", 150 },
	[DP_CANCELLED] = { "cancelled", 80 }, [DP_LOST] = { "lost", 80 },
	[DP_EXPIRED] = { "expired", 100 },
};

/* Spellings of respelled duplicates: the way a second office types a name. */
static const char *const respell_variations[] = {
	"spelling", "honorific", "order", "dropped", "typo", "father",
};

static enum dedup_plant dedup_plant_of(const struct config *cfg, uint64_t pair)
{
	struct rng r = rng_salted(splitmix64(cfg->seed ^ (pair * GOLDEN)), SALT_HISTORY);
	uint32_t roll = rng_below(&r, 10000);

	for (size_t k = 1; k < NELEM(dedup_plants); k++) {
		if (roll < dedup_plants[k].weight)
			return (enum dedup_plant)k;
		roll -= dedup_plants[k].weight;
	}
	return DP_NONE;
}

static void dedup_id(uint64_t row, char id[32])
{
	snprintf(id, 32, "DDP-%07llu", (unsigned long long)row);
}

static void dedup_truth(uint64_t row, const char *code, const char *other,
    enum dedup_plant kind)
{
	char id[32];

	dedup_id(row, id);
	if (truth != NULL)
		fprintf(truth, "%s,%s,%s,%s\n", id, code, other, dedup_plants[kind].name);
}

/* p under another CNIC, with the parity of its sex. */
static void new_cnic(const struct config *cfg, uint64_t index, struct person *p)
{
	struct rng r = rng_salted(p->seed ^ index, SALT_CNIC);

	p->index = index;
	make_cnic(cfg, &r, p);
}

/* Whether two names share a word. */
static int shares_word(const char *a, const char *b)
{
	char wa[NAME_LEN], *w, *save;

	text_copy(wa, sizeof wa, a);
	for (w = strtok_r(wa, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(w);

		for (const char *p = b; (p = strstr(p, w)) != NULL; p += n)
			if ((p == b || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
				return 1;
	}
	return 0;
}

/* A given name unlike the one of p: no word in common, another first
 * letter, from the table of its sex. -1 when p is MUHAMMAD alone (which
 * any name may complete). */
static int other_given(struct rng *r, const struct person *p, const char *was, char *dst,
    size_t size)
{
	if (strcmp(was, "MUHAMMAD") == 0)
		return -1;
	for (int tries = 0; tries < 1000; tries++) {
		if (p->sex == 'F')
			female_given(r, dst, size);
		else
			male_given(r, dst, size);
		if (!shares_word(dst, was) && dst[0] != was[0])
			return 0;
	}
	return -1;
}

/* A father's name of the family of p with given names p's father has not. */
static int other_father(struct rng *r, const struct person *p, char *dst, size_t size)
{
	char given[NAME_LEN], was[NAME_LEN];
	size_t n = strlen(p->father), k = strlen(p->surname);

	text_copy(was, sizeof was, p->father);
	if (k > 0 && n > k)
		was[n - k - 1] = '\0';           /* the father's given names */
	for (int tries = 0; tries < 1000; tries++) {
		if (rng_chance(r, 5000))
			text_copy(given, sizeof given, elder_names[rng_skewed(r, NELEM(elder_names))]);
		else
			male_given(r, given, sizeof given);
		if (!shares_word(given, was) && strcmp(given, "MUHAMMAD") != 0) {
			text_join(dst, size, given, p->surname);
			return 0;
		}
	}
	return -1;
}

/* A history person whose passport has the status wanted ("valid": and not
 * expired), among those of index pair + m * pairs: no two pairs share one.
 * -1 when there is none. */
static int find_passport(const struct config *cfg, uint64_t pair, const char *want,
    struct passport_entry *h)
{
	uint64_t pairs = (cfg->from + cfg->count + 1) / 2, k;

	for (k = pair; k < cfg->history_size; k += pairs) {
		history_entry(cfg, k, h);
		if (strcmp(h->status, want) == 0)
			return 0;
	}
	return -1;
}

/* Another day of birth, far from a typo of the first: no digit of one in
 * the other's place, no two swapped. */
static long far_day(long day, long shift)
{
	char a[11], b[11];
	int diff;

	for (;; shift += 37) {
		format_date(a, day, 3);
		format_date(b, day - shift, 3);
		diff = 0;
		for (int i = 0; i < 10; i++)
			diff += a[i] != b[i];
		if (diff >= 3)
			return day - shift;
	}
}

static void one_digit_off(char cnic[14], struct rng *r)
{
	int at = 5 + (int)rng_below(r, 7);       /* the middle seven digits */

	cnic[at] = (char)('0' + (cnic[at] - '0' + 1 + rng_below(r, 8)) % 10);
}

/* The second row of an in-batch pair: the first row's person, changed. */
static int dedup_second(const struct config *cfg, uint64_t row, enum dedup_plant kind,
    struct person *q, const struct person *first, uint64_t *photo_k)
{
	struct rng r = rng_salted(first->seed ^ row, SALT_APPLICATION);
	struct person own;

	*q = *first;
	*photo_k = row;
	switch (kind) {
	case DP_SAME_CNIC:
		return 0;
	case DP_SAME_PHOTO:
		make_person(cfg, DEDUP_BASE + row, q);
		*photo_k = row - 1;
		return 0;
	case DP_RESPELLED:
		new_cnic(cfg, DEDUP_OTHER_CNIC + row, q);
		vary(q, respell_variations[(row / 2) % NELEM(respell_variations)], &r);
		return 0;
	case DP_CNIC_TYPO:
		one_digit_off(q->cnic, &r);
		return 0;
	case DP_TWINS:
	case DP_SIBLINGS:
		if (rng_chance(&r, 5000))
			q->sex = q->sex == 'M' ? 'F' : 'M';
		new_cnic(cfg, DEDUP_OTHER_CNIC + row, q);
		if (other_given(&r, q, first->given, q->given, sizeof q->given) != 0)
			return -1;
		if (kind == DP_SIBLINGS)
			q->dob = far_day(first->dob, 400 + rng_below(&r, 3000));
		return 0;
	case DP_NAMESAKE_FATHER:
	case DP_NAMESAKE_DOB:
		make_person(cfg, DEDUP_BASE + row, &own);
		new_cnic(cfg, DEDUP_OTHER_CNIC + row, q);
		q->seed = own.seed;
		q->home = own.home;
		if (kind == DP_NAMESAKE_FATHER)
			return other_father(&r, first, q->father, sizeof q->father);
		else
			q->dob = far_day(first->dob, 1000 + rng_below(&r, 5000));
		return 0;
	default:
		return -1;
	}
}

static const char *const dedup_code[] = {
	[DP_SAME_CNIC] = "DEDUP_SAME_CNIC", [DP_SAME_PHOTO] = "DEDUP_SAME_PHOTO",
	[DP_RESPELLED] = "DEDUP_SAME_PERSON", [DP_CNIC_TYPO] = "DEDUP_SAME_PERSON",
	[DP_TWINS] = "DEDUP_CLEAR", [DP_SIBLINGS] = "DEDUP_CLEAR",
	[DP_NAMESAKE_FATHER] = "DEDUP_CLEAR", [DP_NAMESAKE_DOB] = "DEDUP_CLEAR",
	[DP_VALID] = "DEDUP_VALID_PASSPORT", [DP_RENEWAL] = "DEDUP_CLEAR",
	[DP_OTHER_IDENTITY] = "DEDUP_OTHER_IDENTITY", [DP_CANCELLED] = "DEDUP_CLEAR",
	[DP_LOST] = "DEDUP_CLEAR", [DP_EXPIRED] = "DEDUP_CLEAR",
};

/* The first row of a history pair: a person of the history applying. */
static int dedup_history(const struct config *cfg, uint64_t row, enum dedup_plant kind,
    struct row *w)
{
	static const char *const want[] = {
		[DP_VALID] = "valid", [DP_RENEWAL] = "valid", [DP_OTHER_IDENTITY] = "valid",
		[DP_CANCELLED] = "cancelled", [DP_LOST] = "lost", [DP_EXPIRED] = "expired",
	};
	struct passport_entry h;
	struct rng r;
	char id[32], previous[12] = "";

	if (find_passport(cfg, row / 2, want[kind], &h) != 0)
		return -1;
	r = rng_salted(h.p.seed ^ row, SALT_APPLICATION);
	if (kind == DP_RENEWAL)
		snprintf(previous, sizeof previous, rng_chance(&r, 5000) ? "%.2s %s" : "%.2s-%s",
		    h.number, h.number + 2);
	if (kind == DP_OTHER_IDENTITY) {
		new_cnic(cfg, DEDUP_OTHER_CNIC + row, &h.p);
		if (rng_chance(&r, 5000))
			vary(&h.p, "spelling", &r);
	}
	dedup_id(row, id);
	dedup_truth(row, dedup_code[kind], kind == DP_VALID || kind == DP_OTHER_IDENTITY ?
	    h.number : "", kind);
	/* another identity is told by the whole date of birth */
	write_application_row(cfg, row, &h.p, &(struct row_choice){ id, previous, -1, row,
	    kind == DP_OTHER_IDENTITY }, w);
	return 0;
}

static void write_dedup(const struct config *cfg, uint64_t row, struct row *w)
{
	enum dedup_plant kind = dedup_plant_of(cfg, row / 2);
	struct person first, q;
	uint64_t photo_k = row;
	char id[32], other[32];
	int hold;

	if (row % 2 == 0 && kind >= DP_VALID && dedup_history(cfg, row, kind, w) == 0)
		return;
	make_person(cfg, DEDUP_BASE + (row & ~1ULL), &first);
	dedup_id(row, id);
	if (row % 2 == 0 || kind == DP_NONE || kind >= DP_VALID ||
	    dedup_second(cfg, row, kind, &q, &first, &photo_k) != 0) {
		if (row % 2 == 1)
			make_person(cfg, DEDUP_BASE + row, &first);
		/* the first of an in-batch pair: its truth is written with the second */
		write_application_row(cfg, row, &first, &(struct row_choice){ id, "", -1, row, 0 },
		    w);
		return;
	}
	hold = strcmp(dedup_code[kind], "DEDUP_CLEAR") != 0;
	dedup_id(row - 1, other);
	dedup_truth(row - 1, dedup_code[kind], hold ? id : "", kind);
	dedup_truth(row, dedup_code[kind], hold ? other : "", kind);
	write_application_row(cfg, row, &q, &(struct row_choice){ id, "",
	    kind == DP_SAME_CNIC ? 1 : -1, photo_k, 0 }, w);
}

/* ---- legacy citizenship registers ---- */

static void format_typed_date(char *buf, size_t size, long day,
    unsigned style)
{
	struct date d = civil_from_days(day);
	const char *month = month_names[d.month - 1];

	switch (style) {
	case 0:
		snprintf(buf, size, "%04d-%02d-%02d", d.year, d.month, d.day);
		break;
	case 1:
		snprintf(buf, size, "%02d.%02d.%04d", d.day, d.month, d.year);
		break;
	case 2:
		snprintf(buf, size, "%02d/%02d/%02d", d.day, d.month,
		    d.year % 100);
		break;
	case 3:
		snprintf(buf, size, "%02d-%.3s-%04d", d.day, month, d.year);
		break;
	case 4:
		snprintf(buf, size, "%d %s %04d", d.day, month, d.year);
		break;
	case 5:
		snprintf(buf, size, "%02d-%02d-%04d", d.day, d.month, d.year);
		break;
	default:
		snprintf(buf, size, "%d/%d/%04d", d.day, d.month, d.year);
	}
}

static unsigned choose_date_style(struct rng *r)
{
	static const unsigned weights[] = { 25, 20, 15, 10, 10, 10, 10 };
	uint32_t roll = rng_below(r, 100);
	unsigned style = 0;

	while (roll >= weights[style]) {
		roll -= weights[style];
		style++;
	}
	return style;
}

static void row_typed_date(struct row *w, long day, unsigned style)
{
	char buf[64];

	format_typed_date(buf, sizeof buf, day, style);
	row_field(w, buf);
}

static void row_typed_name(struct row *w, const char *a, const char *b,
    int style)
{
	char buf[2 * NAME_LEN];

	text_join(buf, sizeof buf, a, b);
	if (style == 1)
		text_title(buf);
	else if (style == 2)
		text_lower(buf);
	row_field(w, buf);
}

static const char *certificate_no(char *buf, size_t size, struct rng *r,
    const char *reg, long issued, uint64_t serial)
{
	int year = civil_from_days(issued).year;

	if (rng_chance(r, 3500))
		snprintf(buf, size, "%llu", (unsigned long long)serial);
	else
		snprintf(buf, size, "%s/%04d/%05llu", reg, year,
		    (unsigned long long)serial);
	return buf;
}

static const char *register_remarks(char *buf, size_t size, struct rng *r,
    const char *reg, const struct country *c)
{
	uint32_t roll = rng_below(r, 100);

	if (roll < 55)
		return "";
	if (roll < 70 && strcmp(reg, "RC") == 0)
		snprintf(buf, size, "renounced to acquire \"%s\" nationality",
		    c->name);
	else if (roll < 78)
		snprintf(buf, size, "see also file no. %u/%02u",
		    1 + rng_below(r, 9999), rng_below(r, 100));
	else if (roll < 85)
		snprintf(buf, size, "name spelling as per old record, %s",
		    "verified");
	else if (roll < 92)
		snprintf(buf, size, "certificate re-issued; original lost");
	else
		snprintf(buf, size, "DOB as per school certificate");
	return buf;
}

static const struct country *register_country(struct rng *r, int rc)
{
	if (rc)
		return PICK(r, renounce_countries, struct country);
	return PICK(r, origin_countries, struct country);
}

static void write_register_origin(struct rng *r, const char *reg,
    const struct country *c, struct row *w)
{
	int rc = strcmp(reg, "RC") == 0;
	int abroad = rc ? rng_chance(r, 8000) : strcmp(reg, "PCC") == 0 &&
	    rng_chance(r, 2500);

	row_field(w, rc ? "PAKISTAN" : c->name);
	row_field(w, rc || abroad ? c->name : "PAKISTAN");
	row_field(w, abroad ? c->mission : "");
}

static void write_register_identity(struct rng *r, const struct person *p,
    const char *reg, const struct country *c, struct row *w)
{
	int style = rng_chance(r, 8500) ? 0 : rng_chance(r, 8000) ? 1 : 2;
	int born_abroad = strcmp(reg, "RC") != 0 && rng_chance(r, 5000);
	char cnic[16];

	row_typed_name(w, p->given, p->surname, style);
	row_typed_name(w, p->father, "", style);
	row_typed_date(w, p->dob, choose_date_style(r));
	row_typed_name(w, born_abroad ? c->birth_city : p->birth->upper, "",
	    style);
	if (rng_chance(r, 7000))
		row_field(w, format_cnic(cnic, p->cnic, rng_chance(r, 5000)));
	else
		row_field(w, "");
}

static void write_registers(const struct config *cfg, uint64_t k,
    struct row *w)
{
	struct person p;
	struct rng r;
	const struct country *c;
	const char *reg;
	char buf[TEXT_LEN];
	long first, issued;
	unsigned style;

	make_person(cfg, REGISTER_BASE + k, &p);
	r = rng_salted(p.seed, SALT_REGISTERS);
	reg = rng_chance(&r, 4000) ? "PCC" : rng_chance(&r, 833) ? "NC" : "RC";
	c = register_country(&r, strcmp(reg, "RC") == 0);
	first = make_day(1951, 1, 1);
	issued = rng_between(&r, p.dob >= first ? p.dob + 1 : first,
	    cfg->batch_day);
	style = choose_date_style(&r);
	row_field(w, reg);
	row_field(w, certificate_no(buf, sizeof buf, &r, reg, issued, k + 1));
	row_typed_date(w, issued, style);
	write_register_identity(&r, &p, reg, c, w);
	write_register_origin(&r, reg, c, w);
	row_field(w, register_remarks(buf, sizeof buf, &r, reg, c));
}

/*
 * A register as typed on one desk (typed-register): dates day first, as
 * Pakistan writes them, in the forms a typist uses (14.08.1998, 4/8/1998,
 * 14/08/98, 14-08-1998, now and then 14-Aug-1998 or 1998-08-14), and one
 * in a hundred typed month first by mistake; the certificates from before
 * the CNIC with the old 11-digit NIC (657-80-291030); the relation typed
 * before the father's name (S/O, D/O, SON OF ...) and, for a married
 * woman, W/O and her husband's name instead.
 */
static void typed_date(struct rng *r, struct row *w, long day)
{
	static const unsigned weights[] = { 5, 40, 10, 10, 0, 15, 20 };
	struct date d = civil_from_days(day);
	uint32_t roll = rng_below(r, 100);
	unsigned style = 0;
	char buf[32];

	while (roll >= weights[style]) {
		roll -= weights[style];
		style++;
	}
	if (rng_chance(r, 100)) {             /* typed month first by mistake */
		snprintf(buf, sizeof buf, "%02d.%02d.%04d", d.month, d.day, d.year);
		row_field(w, buf);
		return;
	}
	row_typed_date(w, day, style);
}

static const char *const relation_son[] = { "S/O", "S/O", "S/O", "s/o", "S.O.", "SON OF" };
static const char *const relation_daughter[] = { "D/O", "D/O", "d/o", "D.O.", "DAUGHTER OF" };
static const char *const relation_wife[] = { "W/O", "W/O", "w/o", "WIFE OF" };

static void typed_relative(const struct config *cfg, struct rng *r,
    const struct person *p, uint64_t k, struct row *w)
{
	char buf[3 * NAME_LEN];
	struct person husband;
	uint32_t roll = rng_below(r, 100);

	if (p->sex == 'F' && roll < 20) {
		make_person(cfg, TYPED_BASE + 2000000 + k, &husband);
		snprintf(buf, sizeof buf, "%s %s %s",
		    relation_wife[rng_below(r, NELEM(relation_wife))],
		    husband.given, husband.surname);
	} else if (roll < 55) {
		snprintf(buf, sizeof buf, "%s %s", p->sex == 'F' ?
		    relation_daughter[rng_below(r, NELEM(relation_daughter))] :
		    relation_son[rng_below(r, NELEM(relation_son))], p->father);
	} else {
		snprintf(buf, sizeof buf, "%s", p->father);
	}
	row_field(w, buf);
}

static void write_typed_register(const struct config *cfg, uint64_t k,
    struct row *w)
{
	struct person p;
	struct rng r;
	const struct country *c;
	const char *reg;
	char buf[TEXT_LEN];
	long first, issued;

	make_person(cfg, TYPED_BASE + k, &p);
	r = rng_salted(p.seed, SALT_TYPED);
	reg = rng_chance(&r, 4000) ? "PCC" : rng_chance(&r, 833) ? "NC" : "RC";
	c = register_country(&r, strcmp(reg, "RC") == 0);
	first = make_day(1951, 1, 1);
	issued = rng_between(&r, p.dob >= first ? p.dob + 1 : first,
	    cfg->batch_day);
	row_field(w, reg);
	row_field(w, certificate_no(buf, sizeof buf, &r, reg, issued, k + 1));
	typed_date(&r, w, issued);
	text_join(buf, sizeof buf, p.given, p.surname);
	row_field(w, buf);
	typed_relative(cfg, &r, &p, k, w);
	typed_date(&r, w, p.dob);
	row_field(w, p.birth->upper);
	if (civil_from_days(issued).year < 2002 && rng_chance(&r, 3000)) {
		snprintf(buf, sizeof buf, "%03u-%02u-%06u", 100 + rng_below(&r, 900),
		    rng_below(&r, 100), rng_below(&r, 1000000));
		row_field(w, buf);
	} else if (rng_chance(&r, 7000)) {
		row_field(w, format_cnic(buf, p.cnic, rng_chance(&r, 5000)));
	} else {
		row_field(w, "");
	}
	write_register_origin(&r, reg, c, w);
	row_field(w, "");
}

/* ---- presented: passports sent to be verified (verify-passport --csv) ---- */

/* Printed passports read from --printed FILE: lines of
 * NUMBER TAB MRZ1 TAB MRZ2 TAB LAMINATE TAB PHOTO_SHA256. */
struct printed {
	char number[16], mrz1[48], mrz2[48], laminate[16], photo[72];
};

static struct printed *pool;
static size_t pool_size;

static void load_printed(const char *path)
{
	char line[512];
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	struct printed *p, *grown;

	if (f == NULL)
		die(EX_NOINPUT, "cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		if (pool_size == cap) {
			cap = cap ? 2 * cap : 256;
			if ((grown = realloc(pool, cap * sizeof *pool)) == NULL)
				die(EX_SOFTWARE, "out of memory");
			pool = grown;
		}
		p = &pool[pool_size];
		if (sscanf(line, "%15[^\t]\t%47[^\t]\t%47[^\t]\t%15[^\t]\t%71[0-9a-f]", p->number,
		    p->mrz1, p->mrz2, p->laminate, p->photo) != 5 || strlen(p->mrz1) != 44 ||
		    strlen(p->mrz2) != 44)
			die(EX_DATAERR, "%s line %zu: not NUMBER, MRZ1, MRZ2, LAMINATE, PHOTO "
			    "separated by tabs", path, pool_size + 1);
		pool_size++;
	}
	fclose(f);
	if (pool_size == 0)
		die(EX_DATAERR, "%s: no printed passports", path);
}

/* ICAO 9303 check digit (7-3-1, '<' 0, A 10), written independently of lib/. */
static char mrz_check(const char *s, size_t n)
{
	static const int weight[] = { 7, 3, 1 };
	int sum = 0, v;

	for (size_t i = 0; i < n; i++) {
		v = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 10 : 0;
		sum += v * weight[i % 3];
	}
	return (char)('0' + sum % 10);
}

/* Line 2's check digits made right again after a field changed. */
static void mrz_redigit(char *l2)
{
	char comp[39];

	l2[9] = mrz_check(l2, 9);
	l2[19] = mrz_check(l2 + 13, 6);
	l2[27] = mrz_check(l2 + 21, 6);
	memcpy(comp, l2, 10);
	memcpy(comp + 10, l2 + 13, 7);
	memcpy(comp + 17, l2 + 21, 22);
	l2[43] = mrz_check(comp, sizeof comp);
}

enum forgery {
	PLANT_GENUINE, PLANT_SLIP, PLANT_PHOTO, PLANT_DATA, PLANT_DATA_PHOTO,
	PLANT_STOLEN_LAMINATE, PLANT_FAKE_LAMINATE, PLANT_SEVERAL, PLANT_BOOKLET,
	PLANT_DIGITS,
};

static const struct {
	const char *name, *finding, *laminate;
	unsigned weight;              /* per 10,000 */
} plants[] = {
	{ "genuine", "AS_ISSUED", "LAMINATE_OK", 5300 },
	{ "ocr-slip", "AS_ISSUED", "LAMINATE_OK", 600 },
	{ "photo-swapped", "PHOTO_SWAPPED", "LAMINATE_OK", 400 },
	{ "data-changed", "ALTERED", "LAMINATE_OK", 300 },
	{ "data-and-photo", "DATA_AND_PHOTO_CHANGED", "LAMINATE_OK", 700 },
	{ "stolen-laminate", "AS_ISSUED", "LAMINATE_OTHER", 1600 },
	{ "fake-laminate", "AS_ISSUED", "LAMINATE_FAKE", 200 },
	{ "several", "DATA_AND_PHOTO_CHANGED", "LAMINATE_OTHER", 600 },
	{ "forged-booklet", "NOT_ISSUED", "", 200 },
	{ "bad-check-digits", "MRZ_INVALID", "", 100 },
};

static enum forgery pick_forgery(struct rng *r)
{
	uint32_t roll = rng_below(r, 10000), sum = 0;
	size_t i;

	for (i = 0; i + 1 < NELEM(plants); i++) {
		sum += plants[i].weight;
		if (roll < sum)
			break;
	}
	return (enum forgery)i;
}

/* A name other than the printed one, in the 39 places of line 1. */
static void forge_name(char *l1)
{
	static const char *const names[] = { "MALIK<<TARIQ<MEHMOOD", "QURESHI<<NADIA" };
	const char *n = strncmp(l1 + 5, names[0], strlen(names[0])) == 0 ? names[1] : names[0];

	memset(l1 + 5, '<', 39);
	memcpy(l1 + 5, n, strlen(n));
}

/* One OCR slip a scanner makes: a digit of the number read as a letter,
 * else the last filler of line 1 dropped. */
static void ocr_slip(struct rng *r, char *l1, char *l2)
{
	static const char from[] = "018", to[] = "OIB";
	size_t at[9], n = 0, i;
	const char *c;

	for (i = 2; i < 9; i++)
		if (strchr(from, l2[i]) != NULL)
			at[n++] = i;
	if (n > 0 && (l1[43] != '<' || rng_chance(r, 5000))) {
		i = at[rng_below(r, (uint32_t)n)];
		c = strchr(from, l2[i]);
		l2[i] = to[c - from];
	} else if (l1[43] == '<') {
		l1[43] = '\0';
	}
}

static void forged_number(struct rng *r, char *l2, int wrong_digit)
{
	static const char safe[] = "2345679";

	l2[0] = 'Z';
	l2[1] = 'Z';
	for (int i = 2; i < 9; i++)
		l2[i] = safe[rng_below(r, 7)];
	mrz_redigit(l2);
	if (wrong_digit)
		l2[9] = (char)('0' + (l2[9] - '0' + 1) % 10);
}

static void write_presented(const struct config *cfg, uint64_t k, struct row *w)
{
	struct rng r = rng_salted(cfg->seed ^ k, SALT_PRESENTED);
	const struct printed *p = &pool[k % pool_size];
	const struct printed *other = &pool[(k + 1 + rng_below(&r, (uint32_t)(pool_size > 1 ?
	    pool_size - 1 : 1))) % pool_size];
	enum forgery plant = pick_forgery(&r);
	char l1[48], l2[48], photo[72], laminate[16], buf[32];

	if (pool_size < 2 && (plant == PLANT_STOLEN_LAMINATE || plant == PLANT_SEVERAL))
		plant = PLANT_GENUINE;
	snprintf(l1, sizeof l1, "%s", p->mrz1);
	snprintf(l2, sizeof l2, "%s", p->mrz2);
	snprintf(photo, sizeof photo, "%s", p->photo);
	snprintf(laminate, sizeof laminate, "%s", p->laminate);
	if (plant == PLANT_PHOTO || plant == PLANT_DATA_PHOTO || plant == PLANT_SEVERAL)
		snprintf(photo, sizeof photo, "%016llx%016llx%016llx%016llx",
		    (unsigned long long)rng_next(&r), (unsigned long long)rng_next(&r),
		    (unsigned long long)rng_next(&r), (unsigned long long)rng_next(&r));
	if (plant == PLANT_DATA || plant == PLANT_DATA_PHOTO || plant == PLANT_SEVERAL) {
		if (rng_chance(&r, 5000)) {
			forge_name(l1);
		} else {                  /* born a year earlier, digits made right */
			l2[13] = l2[14] == '0' ? (char)(l2[13] == '0' ? '9' : l2[13] - 1) : l2[13];
			l2[14] = l2[14] == '0' ? '9' : (char)(l2[14] - 1);
			mrz_redigit(l2);
		}
	}
	if (plant == PLANT_STOLEN_LAMINATE || plant == PLANT_SEVERAL)
		snprintf(laminate, sizeof laminate, "%s", other->laminate);
	if (plant == PLANT_FAKE_LAMINATE)
		snprintf(laminate, sizeof laminate, "SL9%07u", rng_below(&r, 10000000));
	if (plant == PLANT_BOOKLET || plant == PLANT_DIGITS) {
		forged_number(&r, l2, plant == PLANT_DIGITS);
		laminate[0] = '\0';
	}
	if (plant == PLANT_SLIP)
		ocr_slip(&r, l1, l2);
	snprintf(buf, sizeof buf, "C-%06llu", (unsigned long long)k + 1);
	row_field(w, buf);
	row_field(w, l1);
	row_field(w, l2);
	row_field(w, laminate);
	row_field(w, photo);
	if (truth != NULL)
		fprintf(truth, "%llu,%s,%s,%s\n", (unsigned long long)k + 2 - cfg->from,
		    plants[plant].finding, plants[plant].laminate, plants[plant].name);
}

/* ---- driver ---- */

static const struct kind kinds[] = {
	{ "applications",
	  "tracking_id,office,category,passport_type,surname,given_names,"
	  "father_name,sex,date_of_birth,place_of_birth,cnic,nationality,"
	  "validity_years,pages,previous_passport,delivery_office,"
	  "delivery_mode,address,phone,photo_sha256,fee_receipt,fee_amount,"
	  "applied_on", 0, write_application },
	{ "nadra", "cnic,name,father_name,date_of_birth,sex,status", 0,
	  write_nadra },
	{ "pcl",
	  "entry_id,list,category,cnic,name,father_name,date_of_birth,"
	  "nationality,passport_no,reason,placed_on,removed_on", PCL_BASE,
	  write_pcl },
	{ "history",
	  "passport_no,cnic,surname,given_names,father_name,date_of_birth,"
	  "sex,issued_on,expires_on,status", 0, write_history },
	{ "registers",
	  "register,certificate_no,issued_on,name,father_name,date_of_birth,"
	  "place_of_birth,cnic,previous_nationality,country,mission,remarks",
	  REGISTER_BASE, write_registers },
	{ "typed-register",
	  "register,certificate_no,issued_on,name,father_name,date_of_birth,"
	  "place_of_birth,cnic,previous_nationality,country,mission,remarks",
	  TYPED_BASE, write_typed_register },
	{ "screening",
	  "tracking_id,office,category,passport_type,surname,given_names,"
	  "father_name,sex,date_of_birth,place_of_birth,cnic,nationality,"
	  "validity_years,pages,previous_passport,delivery_office,"
	  "delivery_mode,address,phone,photo_sha256,fee_receipt,fee_amount,"
	  "applied_on", 0, write_screening },
	{ "dedup",
	  "tracking_id,office,category,passport_type,surname,given_names,"
	  "father_name,sex,date_of_birth,place_of_birth,cnic,nationality,"
	  "validity_years,pages,previous_passport,delivery_office,"
	  "delivery_mode,address,phone,photo_sha256,fee_receipt,fee_amount,"
	  "applied_on", 0, write_dedup },
	{ "fees", "passport_type,category,pages,validity_years,amount,valid_from,"
	  "valid_to", 0, write_fees },
	{ "payments", "receipt_no,amount,paid_on,channel,status", 0,
	  write_payments },
	{ "presented", "case,mrz_line1,mrz_line2,laminate,photo_sha256", 0,
	  write_presented },
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct kind *find_kind(const char *name)
{
	for (size_t i = 0; i < NELEM(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

static void parse_option(int opt, const char *arg, struct config *cfg)
{
	switch (opt) {
	case 's':
		if (parse_u64(arg, UINT64_MAX, &cfg->seed) != 0)
			usage_error("--seed: not a number: %s", arg);
		break;
	case 'f':
		if (parse_u64(arg, PERSON_LIMIT, &cfg->from) != 0)
			usage_error("--from: not a number up to %llu: %s",
			    PERSON_LIMIT, arg);
		break;
	case 'd':
		if (parse_date(arg, &cfg->batch_day) != 0 ||
		    cfg->batch_day < make_day(2020, 1, 1) ||
		    cfg->batch_day > make_day(2099, 12, 31))
			usage_error("--date: not a date YYYY-MM-DD in "
			    "2020..2099: %s", arg);
		break;
	case 'l':
		if (parse_u64(arg, PERSON_LIMIT, &cfg->list_size) != 0 || cfg->list_size == 0)
			usage_error("--list-size: not a number from 1: %s", arg);
		break;
	case 't':
		if ((truth = fopen(arg, "w")) == NULL)
			die(EX_CANTCREAT, "cannot create %s: %s", arg, strerror(errno));
		break;
	case 'H':
		if (parse_u64(arg, PERSON_LIMIT, &cfg->history_size) != 0 ||
		    cfg->history_size == 0)
			usage_error("--history-size: not a number from 1: %s", arg);
		break;
	case 'p':
		load_printed(arg);
		break;
	case 'h':
		fputs(USAGE, stdout);
		fputs("Person k is a function of the seed and k alone: the KINDs made with one\n"
		      "--seed (default 1) describe the same people, so person k of applications\n"
		      "is person k of nadra, pcl, history and registers: one seed links them.\n"
		      "--from K starts at person K; --date is the day the applications were made.\n"
		      "presented: passports sent to verify-passport, row k a copy of printed\n"
		      "passport k of --printed FILE (NUMBER, MRZ1, MRZ2, LAMINATE, PHOTO per line,\n"
		      "tab-separated), some forged (data, photo, laminate, booklet, check digits)\n"
		      "or read with an OCR slip; --truth FILE: line,finding,laminate_finding,plant.\n",
		      stdout);
		exit(0);
	default:
		/* getopt_long has already said what was wrong. */
		fputs(USAGE, stderr);
		exit(EX_USAGE);
	}
}

static void parse_operands(int argc, char **argv, struct config *cfg)
{
	unsigned long long limit;

	if (argc != 2)
		usage_error("expected KIND and COUNT");
	cfg->kind = find_kind(argv[0]);
	if (!cfg->kind)
		usage_error("unknown KIND '%s': use applications, nadra, pcl, "
		    "history, registers, typed-register, screening, dedup, fees, payments "
		    "or presented",
		    argv[0]);
	rich_names = strcmp(cfg->kind->name, "pcl") == 0 ||
	    strcmp(cfg->kind->name, "screening") == 0;
	limit = strcmp(cfg->kind->name, "nadra") == 0 ? NADRA_LIMIT : PERSON_LIMIT;
	if (parse_u64(argv[1], limit, &cfg->count) != 0)
		usage_error("COUNT: not a number up to %llu: %s", limit, argv[1]);
	if (strcmp(cfg->kind->name, "fees") == 0 &&
	    (cfg->count > FEE_ROWS || cfg->from + cfg->count > FEE_ROWS))
		usage_error("fees: --from + COUNT must not exceed %d, the rows "
		    "of the schedule", FEE_ROWS);
	if (strcmp(cfg->kind->name, "presented") == 0 && pool_size == 0)
		usage_error("presented: --printed FILE names the printed passports");
	if (cfg->kind->base + cfg->from + cfg->count > limit)
		usage_error("%s: --from + COUNT must not exceed %llu",
		    cfg->kind->name, limit - cfg->kind->base);
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option options[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "date", required_argument, NULL, 'd' },
		{ "list-size", required_argument, NULL, 'l' },
		{ "truth", required_argument, NULL, 't' },
		{ "history-size", required_argument, NULL, 'H' },
		{ "printed", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	cfg->seed = 1;
	cfg->from = 0;
	cfg->batch_day = make_day(2026, 11, 27);
	cfg->list_size = 78000;
	cfg->history_size = 20000;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1)
		parse_option(opt, optarg, cfg);
	parse_operands(argc - optind, argv + optind, cfg);
	if (truth != NULL)
		fputs(strcmp(cfg->kind->name, "dedup") == 0 ?
		    "tracking_id,expected,other,kind\n" :
		    strcmp(cfg->kind->name, "payments") == 0 ?
		    "tracking_id,expected,receipt,kind\n" :
		    strcmp(cfg->kind->name, "presented") == 0 ?
		    "line,finding,laminate_finding,plant\n" :
		    "tracking_id,expected,entry_id,kind\n", truth);
	cfg->cnic_key = splitmix64(cfg->seed ^ SALT_CNIC);
	cfg->passport_key = splitmix64(cfg->seed ^ SALT_PASSPORT);
	cfg->receipt_key = splitmix64(cfg->seed ^ SALT_RECEIPT);
	cfg->photo_key = splitmix64(cfg->seed ^ SALT_PHOTO);
}

static void finish_output(void)
{
	if (truth != NULL && fclose(truth) != 0)
		die(EX_IOERR, "cannot write the truth file: %s", strerror(errno));
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EX_IOERR, "cannot write to standard output: %s",
		    strerror(errno));
}

int main(int argc, char **argv)
{
	static char buffer[BUF_SIZE];
	struct config cfg;
	struct row w;

	parse_args(argc, argv, &cfg);
	setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
	printf("%s\n", cfg.kind->header);
	for (uint64_t i = 0; i < cfg.count && !ferror(stdout); i++) {
		w.len = 0;
		w.fields = 0;
		cfg.kind->write_row(&cfg, cfg.from + i, &w);
		row_raw(&w, "\n", 1);
		fwrite(w.text, 1, w.len, stdout);
	}
	finish_output();
	return 0;
}
